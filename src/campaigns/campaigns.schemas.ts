import { z } from 'zod';
import { e164 } from '../shared/validation';

const origin = z
  .string()
  .trim()
  .url('must be an origin such as https://www.example.com')
  .transform((u) => new URL(u).origin);

export const createSiteSchema = z
  .object({
    name: z.string().trim().min(1, 'is required').max(200),
    allowedOrigins: z.array(origin).max(50).default([]),
    swapTargets: z.array(e164).max(50).default([]),
    /** User-agent substrings this site vouches for: such visits are treated as a person's (db default []). */
    botAllowList: z
      .array(z.string().min(3, 'must be 3-100 characters').max(100, 'must be 3-100 characters'))
      .max(20)
      .optional(),
  })
  .strict();
export const updateSiteSchema = createSiteSchema.partial().strict();
export type CreateSiteInput = z.infer<typeof createSiteSchema>;
export type UpdateSiteInput = z.infer<typeof updateSiteSchema>;

const matchValue = z.string().trim().min(1).max(200);
export const matchSchema = z
  .object({
    utmSource: matchValue.optional(),
    utmMedium: matchValue.optional(),
    utmCampaign: matchValue.optional(),
    referrerDomain: matchValue.transform((d) => d.toLowerCase().replace(/^www\./, '')).optional(),
    /** `name` or `name=value` found in the landing URL's query string. */
    landingParam: matchValue.optional(),
  })
  .strict();

export const createCampaignSchema = z
  .object({
    name: z.string().trim().min(1, 'is required').max(200),
    siteId: z.string().uuid('must be the id of a site'),
    match: matchSchema.default({}),
    holdSeconds: z
      .number()
      .int()
      .min(60)
      .max(7 * 24 * 3600)
      .default(1800),
    fallbackNumber: e164,
    overflow: z.enum(['share_lru', 'source_number']).default('share_lru'),
    /** Record the conversation once an agent answers (dual channel). */
    recordCalls: z.boolean().default(false),
    salesforceCampaignId: z
      .string()
      .regex(/^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/, 'must be a 15 or 18 character Salesforce id')
      .nullable()
      .optional(),
    /** Routing: seconds an agent's phone rings before the next is tried (db default 20). */
    dialTimeoutSeconds: z.number().int().min(5).max(120).optional(),
    /** Routing: agents tried before the fallback number (db default 3). */
    maxAgentAttempts: z.number().int().min(0).max(10).optional(),
    /** Routing: take a voicemail when nobody answers (db default true). */
    voicemail: z.boolean().optional(),
    /** Routing: said to the caller before ringing; null for none. */
    greeting: z.string().trim().min(1).max(500).nullable().optional(),
    /** Start Twilio's real-time transcription on this campaign's calls (db default false). */
    transcription: z.boolean().optional(),
    /** Consent notice before recording or transcribing (db default 'all-party-states'). */
    recordingConsent: z.enum(['off', 'always', 'all-party-states']).optional(),
  })
  .strict();
export const updateCampaignSchema = createCampaignSchema.omit({ siteId: true }).partial().strict();
export type CreateCampaignInput = z.infer<typeof createCampaignSchema>;
export type UpdateCampaignInput = z.infer<typeof updateCampaignSchema>;

export const listCampaignsQuery = z.object({ siteId: z.string().uuid().optional() }).strict();
