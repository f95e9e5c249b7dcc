import { z } from 'zod';

const isoDate = z
  .string()
  .refine((v) => Number.isFinite(Date.parse(v)), 'must be an ISO 8601 date');

/**
 * Every job Leadline runs: its name and the zod schema of its payload. `enqueue` is typed by this
 * map and validates against it; the worker validates again when it takes a job.
 */
export const jobs = {
  /** Score one finished call (again, if it was scored before). */
  'call.score': z.object({ callSid: z.string().min(1) }).strict(),
  /** Rescore a site's (or every site's) calls that started since a date; `runId` tracks progress. */
  'scoring.rescore': z
    .object({ runId: z.string().uuid(), siteId: z.string().uuid().nullable(), since: isoDate })
    .strict(),
  /** Send a scored (or rescored) call to Salesforce with the next batch. */
  'salesforce.sync': z
    .object({ callSid: z.string().min(1), reason: z.enum(['final', 'rescored']) })
    .strict(),
  /** Read back Salesforce outcomes (converted Leads, Opportunities): once per period, any node. */
  'salesforce.readback': z.object({}).strict(),
  /** Anonymize what is older than its retention period (queued once a day). */
  'privacy.retention': z.object({}).strict(),
} as const;

export type JobName = keyof typeof jobs;
export type JobPayload<N extends JobName> = z.infer<(typeof jobs)[N]>;
export const jobNames = Object.keys(jobs) as JobName[];

/** How often a job is tried and how long between tries before it goes to its dead-letter queue. */
export interface RetryPolicy {
  /** Retries after the first try (so retryLimit + 1 tries in all). */
  retryLimit: number;
  /** Seconds before the first retry (pg-boss stores whole seconds). */
  retryDelay: number;
  /** Double the delay on each retry (with jitter). */
  retryBackoff: boolean;
  /** Seconds a try may run before pg-boss counts it as failed. */
  expireInSeconds: number;
}

export const retryPolicies: Record<JobName, RetryPolicy> = {
  'call.score': { retryLimit: 5, retryDelay: 2, retryBackoff: true, expireInSeconds: 60 },
  'scoring.rescore': { retryLimit: 3, retryDelay: 10, retryBackoff: true, expireInSeconds: 3600 },
  'salesforce.sync': { retryLimit: 10, retryDelay: 5, retryBackoff: true, expireInSeconds: 60 },
  'salesforce.readback': {
    retryLimit: 2,
    retryDelay: 60,
    retryBackoff: true,
    expireInSeconds: 900,
  },
  'privacy.retention': {
    retryLimit: 3,
    retryDelay: 300,
    retryBackoff: true,
    expireInSeconds: 3600,
  },
};

/** The dead-letter queue of a job: where pg-boss moves it once its retries are spent. */
export const deadLetterQueue = (name: JobName) => `${name}.dead`;
