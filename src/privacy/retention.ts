import { createHash } from 'node:crypto';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import type { PersonalDataHolders } from './ports';
import type { PrivacyRepo } from './privacy.repo';
import type { RetentionPeriods, Touched } from './privacy.schemas';

const DAY_MS = 86_400_000;
/** Rows changed per statement: keeps each transaction and lock short on a large table. */
const DEFAULT_BATCH = 500;
/** Upper bound on batches per category in one run; the next day's run goes on from there. */
const MAX_BATCHES = 2_000;
/** The hour (UTC) after which a node queues the day's run; any node may, the job id dedupes. */
export const RETENTION_HOUR_UTC = 3;

/** The job id of one day's retention run, the same on every node (a UUID from the date). */
export function retentionJobId(day: Date): string {
  const h = createHash('sha256')
    .update(`privacy.retention:${day.toISOString().slice(0, 10)}`)
    .digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Retention: data older than its period is anonymized in batches, each feature through its own
 * service. Calls keep attribution, durations and scores; they lose the caller (and the copies in
 * their webhook events, score facts, routing decisions and notes), then, sooner, their recordings
 * and transcripts (with the explanations' quotes of them).
 */
export function createRetentionService(deps: {
  holders: Pick<PersonalDataHolders, 'calls' | 'numbers' | 'scoring' | 'routing'>;
  repo: PrivacyRepo;
  periods: RetentionPeriods;
  clock: Clock;
  log: Logger;
  batchSize?: number;
}) {
  const { holders, periods, clock, log } = deps;
  const batch = deps.batchSize ?? DEFAULT_BATCH;
  const daysAgo = (now: Date, days: number) => new Date(now.getTime() - days * DAY_MS);

  async function inBatches(step: () => Promise<number>): Promise<number> {
    let total = 0;
    for (let i = 0; i < MAX_BATCHES; i++) {
      const n = await step();
      total += n;
      if (n === 0) break;
    }
    return total;
  }

  return {
    /** One run (the `privacy.retention` job): idempotent, so running twice is harmless. */
    async run(): Promise<Touched> {
      const startedAt = clock.now();
      const touched = {
        calls: 0,
        events: 0,
        scores: 0,
        routing: 0,
        notes: 0,
        recordings: 0,
        transcripts: 0,
        sessions: 0,
      };

      const callerCutoff = daysAgo(startedAt, periods.callerDays);
      touched.calls = await inBatches(async () => {
        const r = await holders.calls.forgetCallerData(
          { startedBefore: callerCutoff, limit: batch },
          async ({ callSids }) => {
            touched.scores += await holders.scoring.forgetCallerFacts(callSids);
            touched.routing += await holders.routing.forgetCallerPlace(callSids);
            touched.notes += await holders.routing.forgetCallerNotes(callSids);
            // What a caller said outlives neither them nor its own period, whichever ends first.
            touched.transcripts += await holders.scoring.forgetTranscripts(callSids);
          },
        );
        touched.events += r.events;
        return r.calls;
      });

      const recordingCutoff = daysAgo(startedAt, periods.recordingDays);
      touched.recordings = await inBatches(async () => {
        const r = await holders.calls.forgetCallerData(
          { startedBefore: recordingCutoff, limit: batch, recordingsOnly: true },
          async () => undefined,
        );
        touched.events += r.events;
        return r.calls;
      });

      // What was said goes on its own clock; the calls' explanations lose their quotes of it.
      const transcriptCutoff = daysAgo(startedAt, periods.transcriptDays);
      touched.transcripts += await inBatches(() =>
        holders.scoring.expireTranscripts(transcriptCutoff, batch),
      );

      const sessionCutoff = daysAgo(startedAt, periods.sessionDays);
      touched.sessions = await inBatches(() =>
        holders.numbers.forgetVisitors({ lastSeenBefore: sessionCutoff, limit: batch }),
      );

      await deps.repo.recordRetentionRun({ startedAt, finishedAt: clock.now(), touched });
      log.info(
        { touched, callerCutoff, recordingCutoff, transcriptCutoff, sessionCutoff },
        'retention run done',
      );
      return touched;
    },
  };
}
export type RetentionService = ReturnType<typeof createRetentionService>;

/**
 * Queues each day's run once the day's hour has come: every node checks on a timer, and the
 * day's job id makes one run of it (a run already queued, done or archived is not queued again).
 */
export function createRetentionSchedule(deps: {
  clock: Clock;
  log: Logger;
  queued: (id: string) => Promise<boolean>;
  enqueue: (id: string) => Promise<unknown>;
  everyMs?: number;
}) {
  let timer: NodeJS.Timeout | null = null;

  async function tick(): Promise<'queued' | 'not-yet' | 'already'> {
    const now = deps.clock.now();
    if (now.getUTCHours() < RETENTION_HOUR_UTC) return 'not-yet';
    const id = retentionJobId(now);
    if (await deps.queued(id)) return 'already';
    try {
      await deps.enqueue(id);
      return 'queued';
    } catch (err) {
      // Another node queued it between the check and the send.
      if (await deps.queued(id)) return 'already';
      throw err;
    }
  }

  return {
    tick,
    start() {
      if (timer) return;
      timer = setInterval(
        () => {
          tick().catch((err: unknown) => deps.log.warn({ err }, 'retention run not queued'));
        },
        deps.everyMs ?? 10 * 60_000,
      );
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
