import { z } from 'zod';

const isoDate = z
  .string()
  .refine((v) => Number.isFinite(Date.parse(v)), 'must be an ISO 8601 date')
  .transform((v) => new Date(v));

/** `GET /api/v1/reports/follow-ups?since&until` (default: the last 7 days). */
export const reportWindowQuery = z
  .object({ since: isoDate.optional(), until: isoDate.optional() })
  .refine((q) => !q.since || !q.until || q.since < q.until, {
    message: 'must be before until',
    path: ['since'],
  });

/** `GET /api/v1/reports/attribution?groupBy=…&since&until`. */
export const attributionQuery = z
  .object({
    groupBy: z.enum(['campaign', 'source', 'medium', 'keyword', 'landingPage', 'state']),
    since: isoDate.optional(),
    until: isoDate.optional(),
  })
  .refine((q) => !q.since || !q.until || q.since < q.until, {
    message: 'must be before until',
    path: ['since'],
  });
