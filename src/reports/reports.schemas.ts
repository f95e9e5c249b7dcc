import { z } from 'zod';
import { isStorableDate } from '../calls/calls.schemas';

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

/** True for a time zone name this runtime knows (IANA, e.g. America/Chicago, or UTC). */
const isTimeZone = (v: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: v });
    return true;
  } catch {
    return false;
  }
};

/** A date the database can compare with (PostgreSQL refuses many JavaScript dates). */
const storableDate = isoDate.refine(isStorableDate, 'must be a date between 0001 and 9999');

/** `GET /api/v1/reports/summary?since&until&timeZone` (default: the last 7 days, UTC days). */
export const summaryQuery = z
  .object({
    since: storableDate.optional(),
    until: storableDate.optional(),
    timeZone: z
      .string()
      .max(64)
      .refine(isTimeZone, 'must be an IANA time zone such as America/Chicago')
      .default('UTC'),
  })
  .strict()
  .refine((q) => !q.since || !q.until || q.since < q.until, {
    message: 'must be before until',
    path: ['since'],
  });
