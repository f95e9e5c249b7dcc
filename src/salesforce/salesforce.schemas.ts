import { z } from 'zod';

/** `POST /api/v1/salesforce/sync/retry`: every dead letter, or one call's. */
export const retryInput = z
  .object({
    callSid: z
      .string()
      .regex(/^CA[0-9a-fA-F]{32}$/, 'must be a call sid')
      .optional(),
  })
  .strict();
export type RetryInput = z.infer<typeof retryInput>;

/** `GET /api/v1/salesforce/revenue?groupBy=campaign|source|keyword`. */
export const revenueQuery = z
  .object({ groupBy: z.enum(['campaign', 'source', 'keyword']).default('campaign') })
  .strict();
