import type { CallRow } from '../calls/calls.repo';
import type { CallScore } from '../calls/calls.service';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import type { CampaignInfo } from './mapping';
import { readBackOutcomes } from './readback';
import { createReadBackSchedule } from './readback-schedule';
import { MAX_COLLECTION, type SalesforceApi } from './salesforce.client';
import { createBatchSender } from './sync-batch';
import { createSyncResults } from './sync-results';
import { statesOf, syncStatus } from './sync-state';
import type { RevenueGroup, SyncRepo } from './sync.repo';

export type { CallSalesforceState } from './sync-state';

export interface SyncServiceDeps {
  repo: SyncRepo;
  /** Null when Salesforce is not configured: calls wait as pending. */
  api: SalesforceApi | null;
  calls: { findCall(callSid: string): Promise<CallRow | undefined> };
  scores: (callSids: string[]) => Promise<Map<string, CallScore>>;
  campaigns: { getCampaign(id: string): Promise<CampaignInfo> };
  clock: Clock;
  log: Logger;
  publicBaseUrl: string;
  /** How long scored calls are collected before a batch is sent. */
  windowMs: number;
  /** A number in [0, 1) for backoff jitter. */
  random?: () => number;
  /** How often outcomes are read back from Salesforce (0: never). */
  readBackEveryMs?: number;
  /**
   * Queues this period's `salesforce.readback` job unless a node already did (the queue's
   * enqueueOncePer); without it nothing reads back on a schedule.
   */
  queueReadBack?: (periodSeconds: number) => Promise<string | null>;
}

/** How long a node holds claimed rows: longer than a batch can take. */
const HOLD_MS = 5 * 60_000;

/** Sends scored calls to Salesforce in batches, exactly once per call, with retries. */
export function createSyncService(deps: SyncServiceDeps) {
  const { repo, api, clock, log } = deps;
  const results = createSyncResults({ repo, clock, log, random: deps.random ?? Math.random });
  const syncBatch = createBatchSender({ ...deps, results });
  let timer: NodeJS.Timeout | null = null;
  let poller: NodeJS.Timeout | null = null;
  const readBackSchedule =
    api && deps.readBackEveryMs && deps.queueReadBack
      ? createReadBackSchedule({
          everyMs: deps.readBackEveryMs,
          queueOncePer: deps.queueReadBack,
          log,
        })
      : null;
  let running: Promise<number> | null = null;

  /** Sends every due call, a batch of up to 200 at a time; returns how many were taken. */
  async function drain(): Promise<number> {
    if (!api) return 0;
    await repo.markRescored(clock.now());
    let taken = 0;
    for (;;) {
      const now = clock.now();
      const rows = await repo.claimDue(now, new Date(now.getTime() + HOLD_MS), MAX_COLLECTION);
      if (rows.length === 0) return taken;
      taken += rows.length;
      await syncBatch(api, rows);
    }
  }

  function flush(): Promise<number> {
    running ??= drain().finally(() => (running = null));
    return running;
  }

  function flushLogged() {
    flush().catch((err: unknown) => log.error({ err }, 'salesforce sync batch failed'));
  }

  async function readBack(): Promise<number> {
    if (!api) return 0;
    return readBackOutcomes({ repo, api, calls: deps.calls, clock, log });
  }

  return {
    configured: api !== null,

    /** `salesforce.sync`: the call is queued for the next batch (or its Task for an update). */
    async callScored(callSid: string): Promise<void> {
      await repo.markScored(callSid, clock.now());
      if (api && !timer) {
        // The batching window: calls scored meanwhile go out in the same batch.
        timer = setTimeout(() => {
          timer = null;
          flushLogged();
        }, deps.windowMs);
        timer.unref();
      }
    },

    /** Sends what is due now (tests and the bench call it instead of waiting for the window). */
    flush,

    /** Polls for rows whose backoff has ended, and queues the read-back each period. */
    start() {
      if (!api || poller) return;
      poller = setInterval(flushLogged, Math.max(deps.windowMs, 1_000));
      poller.unref();
      flushLogged();
      readBackSchedule?.start();
    },
    async stop() {
      if (poller) clearInterval(poller);
      readBackSchedule?.stop();
      if (timer) clearTimeout(timer);
      poller = timer = null;
      await running?.catch(() => undefined);
    },

    /** Counts by state and the dead letters (`GET /api/v1/salesforce/sync`). */
    status: (limit = 100) => syncStatus(repo, api !== null, limit),

    /** Dead letters (all or one call's) are tried again. */
    async retry(callSid?: string) {
      const retried = await repo.retryDead(clock.now(), callSid);
      if (retried.length > 0 && api) flushLogged();
      return { retried };
    },

    /** Privacy: these calls leave the sync (nothing more is sent; the person's id is dropped). */
    forgetCalls: (callSids: string[]) => repo.forgetCalls(callSids),

    /** Reads back converted Leads and Opportunities (the `salesforce.readback` job; tests call it). */
    readBack,

    /** Deals and revenue per campaign, source or keyword (`GET /api/v1/salesforce/revenue`). */
    async revenue(by: RevenueGroup) {
      return { groupBy: by, rows: await repo.revenue(by) };
    },

    /** Won revenue and deals per call sid, credited as the read-back credits them (reports). */
    wonRevenueByCall: () => repo.wonRevenueByCall(),

    /** Each call's sync state, for the calls API. */
    statesOf: (callSids: string[]) => statesOf(repo, api !== null, callSids),
  };
}
export type SyncService = ReturnType<typeof createSyncService>;
