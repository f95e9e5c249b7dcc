import { z } from 'zod';

export const provisionSchema = z
  .object({
    count: z.number().int().min(1).max(50),
    areaCode: z
      .string()
      .regex(/^[2-9]\d{2}$/, 'must be a three-digit US area code')
      .optional(),
    nearZip: z
      .string()
      .regex(/^\d{5}$/, 'must be a five-digit US ZIP code')
      .optional(),
    tollFree: z.boolean().optional(),
    /** `source`: the number shown to visitors who send no visitor id (no lease). */
    kind: z.enum(['pool', 'source']).default('pool'),
  })
  .strict()
  .refine((v) => !(v.tollFree && (v.areaCode || v.nearZip)), {
    message: 'tollFree cannot be combined with areaCode or nearZip',
    path: ['tollFree'],
  });
export type ProvisionInput = z.infer<typeof provisionSchema>;

/**
 * Leadline's own ids (v_…) or first-party ids a site already has, such as a Google Analytics
 * client id (GA1.1.1234567890.1712345678). Nothing that could break out of HTML, JSON or SQL text:
 * no quotes, angle brackets, spaces or control characters.
 */
const visitorId = z
  .string()
  .regex(/^[A-Za-z0-9._-]{8,100}$/, 'must be 8-100 letters, digits, dots, _ or -');

/** Lone UTF-16 surrogates: text the database cannot store (nor can it store NUL bytes). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const text = () =>
  z
    .string()
    .refine(
      (v) => !v.includes('\u0000') && !LONE_SURROGATE.test(v),
      'must not contain NUL bytes or lone surrogates',
    );

export const sessionRequestSchema = z.object({
  siteKey: text().pipe(z.string().min(1, 'is required').max(100)),
  visitorId: visitorId.nullish(),
  landingUrl: text().pipe(z.string().min(1, 'is required').max(4000)),
  referrer: text().pipe(z.string().max(4000)).nullish(),
  userAgent: text().pipe(z.string().max(1000)).nullish(),
  anonymous: z.boolean().optional(),
});
export type SessionRequest = z.infer<typeof sessionRequestSchema>;
