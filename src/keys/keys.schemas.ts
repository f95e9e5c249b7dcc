import { z } from 'zod';

/** `POST /api/v1/keys`. */
export const createKeyBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    role: z.enum(['admin', 'marketer']),
    expiresAt: z
      .string()
      .datetime({ offset: true, message: 'must be an ISO 8601 date-time' })
      .transform((v) => new Date(v))
      .optional(),
  })
  .strict();
export type CreateKeyBody = z.infer<typeof createKeyBody>;
