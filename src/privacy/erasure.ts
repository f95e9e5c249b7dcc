import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import type { PersonalDataHolders } from './ports';
import type { PrivacyRepo } from './privacy.repo';
import type { Touched } from './privacy.schemas';

/**
 * The audit log's fingerprint of a number: SHA-256 of an optional secret, a random per-row salt
 * and the number. Without the secret a phone number's small space could be searched, so the
 * secret (PRIVACY_HASH_SECRET) is what keeps the log from confirming a guessed number.
 */
export function fingerprintNumber(e164: string, salt: string, secret = ''): string {
  return createHash('sha256').update(`${secret}\u0000${salt}\u0000${e164}`).digest('hex');
}

/** What an erasure touched, per store. */
const nothingTouched = () => ({
  calls: 0,
  events: 0,
  sessions: 0,
  scores: 0,
  transcripts: 0,
  routing: 0,
  notes: 0,
  salesforce: 0,
  jobs: 0,
  webhookDeadLetters: 0,
  journal: 0,
});
type ErasureCounts = ReturnType<typeof nothingTouched>;

/** Erasure of one caller everywhere Leadline keeps them, with an audit row that omits the number. */
export function createErasureService(deps: {
  holders: PersonalDataHolders;
  repo: PrivacyRepo;
  clock: Clock;
  log: Logger;
  hashSecret?: string;
  /**
   * The calls feature's webhook dead-letter store, retry buffer and local journal. It waits for
   * writes of the caller's webhooks already running, and calls `again` after one that lands late.
   */
  webhooks?: {
    forgetCaller(
      e164: string,
      opts?: { again?: () => Promise<unknown> },
    ): Promise<{ deadLetters: number; journal: number }>;
  };
}) {
  const { holders, repo, clock, log } = deps;

  /**
   * The caller's calls and everything hanging off them (scores, transcripts, routing, notes,
   * Salesforce, queued syncs, linked sessions). Anonymized last among them, so a failure half-way
   * leaves the calls findable and a retry finishes the job.
   */
  async function eraseCalls(e164: string, touched: ErasureCounts) {
    const calls = await holders.calls.forgetCallerData(
      { caller: e164 },
      async ({ callSids, sessionIds }) => {
        touched.scores += await holders.scoring.forgetCallerFacts(callSids);
        touched.transcripts += await holders.scoring.forgetTranscripts(callSids);
        touched.routing += await holders.routing.forgetCallerPlace(callSids);
        touched.notes += await holders.routing.forgetCallerNotes(callSids);
        touched.salesforce += await holders.salesforce.forgetCalls(callSids);
        // Nothing more about these calls goes to Salesforce.
        touched.jobs += await holders.jobs.eraseJobs(callSids, ['salesforce.sync']);
        touched.sessions += await holders.numbers.forgetVisitors({ sessionIds });
      },
    );
    touched.calls += calls.calls;
    touched.events += calls.events;
  }

  return {
    /**
     * Removes or anonymizes the caller's data in every feature before answering. Calls are
     * anonymized last, so a failure half-way leaves them findable and a retry finishes the job.
     */
    async eraseCaller(
      e164: string,
      requestedBy: string,
    ): Promise<{ id: string; touched: Touched }> {
      const touched = nothingTouched();
      touched.jobs += await holders.jobs.eraseJobs([e164]);
      // Before the calls: a webhook acknowledged before now (retrying, journaled, or its first
      // write still running) no longer names the caller when it lands, or lands before the pass
      // below; one that lands later still makes the pass run again.
      const webhooks = await deps.webhooks?.forgetCaller(e164, {
        again: async () => {
          const late = nothingTouched();
          await eraseCalls(e164, late);
          log.info(
            { calls: late.calls, events: late.events },
            'caller erased again after a late webhook',
          );
        },
      });
      touched.webhookDeadLetters = webhooks?.deadLetters ?? 0;
      touched.journal = webhooks?.journal ?? 0;
      await eraseCalls(e164, touched);

      const salt = randomBytes(16).toString('hex');
      const row = await repo.recordErasure({
        numberHash: fingerprintNumber(e164, salt, deps.hashSecret),
        salt,
        requestedBy,
        requestedAt: clock.now(),
        touched,
      });
      log.info({ erasureId: row.id, requestedBy, touched }, 'caller erased');
      return { id: row.id, touched };
    },

    /** The audit log, newest first (no numbers in it). */
    async listErasures(limit = 100) {
      const rows = await repo.listErasures(limit);
      return rows.map((r) => ({
        id: r.id,
        requestedBy: r.requestedBy,
        requestedAt: r.requestedAt,
        touched: r.touched,
      }));
    },

    /**
     * Which of these numbers were erased at or after `since`, on any node (the audit log holds
     * only salted fingerprints, so each candidate is hashed with each recent row's salt). Asked by
     * the webhook journal's replay, so a webhook another node acknowledged before the erasure
     * (even one replayed days later, after a crash) does not bring the caller back.
     */
    async erasedSince(numbers: string[], since: Date): Promise<Set<string>> {
      const found = new Set<string>();
      if (numbers.length === 0) return found;
      // One indexed range read per replayed webhook: erasures are rare, so it finds few rows.
      for (const row of await repo.erasuresSince(since)) {
        for (const n of numbers) {
          if (row.numberHash === fingerprintNumber(n, row.salt, deps.hashSecret)) found.add(n);
        }
      }
      return found;
    },

    /** Whether this number was erased before (recomputes each row's salted fingerprint). */
    async wasErased(e164: string, limit = 10_000): Promise<boolean> {
      const rows = await repo.listErasures(limit);
      return rows.some((r) => r.numberHash === fingerprintNumber(e164, r.salt, deps.hashSecret));
    },
  };
}
export type ErasureService = ReturnType<typeof createErasureService>;
