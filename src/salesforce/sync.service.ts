import type { CallRow } from '../calls/calls.repo';
import type { CallScore } from '../calls/calls.service';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { leadsByExactPhone, matchCallers, soqlString, type MatchRule } from './caller-match';
import {
  isContactId,
  leadRecord,
  normalizePhone,
  scoreFields,
  taskRecord,
  type CampaignInfo,
  type Phone,
} from './mapping';
import { RECORD_TYPE } from './metadata';
import { readBackOutcomes } from './readback';
import {
  MAX_COLLECTION,
  SalesforceError,
  type SalesforceApi,
  type SaveResult,
  type SfError,
} from './salesforce.client';
import {
  memberKey,
  type RevenueGroup,
  type SyncPatch,
  type SyncRepo,
  type SyncRow,
} from './sync.repo';

/** Errors that say the record's data is wrong: retrying the same data cannot help. */
const DATA_ERRORS = new Set([
  'INVALID_FIELD',
  'REQUIRED_FIELD_MISSING',
  'FIELD_CUSTOM_VALIDATION_EXCEPTION',
  'FIELD_INTEGRITY_EXCEPTION',
  'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
  'INVALID_TYPE_ON_FIELD_IN_RECORD',
  'INVALID_CROSS_REFERENCE_KEY',
  'INVALID_FIELD_FOR_INSERT_UPDATE',
  'MALFORMED_ID',
  'STRING_TOO_LONG',
  'NUMBER_OUTSIDE_VALID_RANGE',
]);

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
}

/** What the calls API shows of a call's sync. */
export interface CallSalesforceState {
  state: 'pending' | 'retrying' | 'synced' | 'dead' | 'not_configured';
  taskId?: string;
  whoId?: string;
  matchRule?: string;
  error?: string;
}

interface Item {
  row: SyncRow;
  call: CallRow;
  score: CallScore | null;
  campaign: CampaignInfo | null;
  phone: Phone | null;
  whoId: string | null;
  matchRule: MatchRule | null;
  taskId: string | null;
  /** Set once the item failed in this batch; later steps skip it. */
  failed: boolean;
}

const BASE_DELAY_MS = 2_000;
const MAX_DELAY_MS = 30 * 60_000;
/** How long a node holds claimed rows: longer than a batch can take. */
const HOLD_MS = 5 * 60_000;

/** Sends scored calls to Salesforce in batches, exactly once per call, with retries. */
export function createSyncService(deps: SyncServiceDeps) {
  const { repo, api, clock, log } = deps;
  const random = deps.random ?? Math.random;
  let recordTypeId: string | null = null;
  let timer: NodeJS.Timeout | null = null;
  let poller: NodeJS.Timeout | null = null;
  let reader: NodeJS.Timeout | null = null;
  let running: Promise<number> | null = null;

  async function callRecordTypeId(sf: SalesforceApi): Promise<string> {
    if (recordTypeId) return recordTypeId;
    const [rt] = await sf.query(
      `SELECT Id FROM RecordType WHERE SobjectType = 'Task' AND DeveloperName = ${soqlString(RECORD_TYPE.fullName)}`,
    );
    if (!rt) {
      throw new SalesforceError(
        'RECORD_TYPE_MISSING',
        'the Call Activity record type is not deployed (npm run salesforce:deploy)',
      );
    }
    recordTypeId = rt.Id;
    return rt.Id;
  }

  async function load(rows: SyncRow[]): Promise<Item[]> {
    const scores = await deps.scores(rows.map((r) => r.callSid));
    const campaigns = new Map<string, Promise<CampaignInfo | null>>();
    const campaignOf = (id: string | null) => {
      if (!id) return Promise.resolve(null);
      if (!campaigns.has(id))
        campaigns.set(
          id,
          deps.campaigns.getCampaign(id).catch(() => null),
        );
      return campaigns.get(id) ?? Promise.resolve(null);
    };
    const items: Item[] = [];
    for (const row of rows) {
      const call = await deps.calls.findCall(row.callSid);
      if (!call) {
        await dead(row, 'CALL_NOT_FOUND', 'the call is not in Leadline any more');
        continue;
      }
      items.push({
        row,
        call,
        score: scores.get(row.callSid) ?? null,
        campaign: await campaignOf(call.campaignId),
        phone: normalizePhone(call.fromNumber),
        whoId: row.whoId,
        matchRule: (row.matchRule as MatchRule | null) ?? null,
        taskId: row.taskId,
        failed: false,
      });
    }
    return items;
  }

  async function dead(row: SyncRow, code: string, message: string) {
    const now = clock.now();
    log.warn({ callSid: row.callSid, code }, 'salesforce sync dead letter');
    await repo.save(row.callSid, {
      state: 'dead',
      attempts: row.attempts + 1,
      lastError: message,
      lastErrorCode: code,
      deadAt: now,
      updatedAt: now,
      claimedUntil: null,
    });
  }

  /** Records a failure: data errors become dead letters, the rest retry with backoff. */
  async function fail(item: Item, code: string, message: string, extra: SyncPatch = {}) {
    if (item.failed) return;
    item.failed = true;
    const progress: SyncPatch = {
      taskId: item.taskId,
      whoId: item.whoId,
      matchRule: item.matchRule,
    };
    if (DATA_ERRORS.has(code)) {
      await repo.save(item.row.callSid, { ...progress, ...extra });
      await dead(item.row, code, message);
      return;
    }
    const attempts = item.row.attempts + 1;
    const now = clock.now();
    // Exponential with full jitter: base·2^n scaled by [0.5, 1.5), capped.
    const delay = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (attempts - 1)) * (0.5 + random());
    log.info({ callSid: item.row.callSid, code, attempts, delay }, 'salesforce sync retry');
    await repo.save(item.row.callSid, {
      ...progress,
      ...extra,
      attempts,
      lastError: message,
      lastErrorCode: code,
      nextAttemptAt: new Date(now.getTime() + delay),
      claimedUntil: null,
      updatedAt: now,
    });
  }

  const errorOf = (err: unknown) =>
    err instanceof SalesforceError
      ? { code: err.errorCode, message: err.message }
      : { code: 'UNKNOWN', message: err instanceof Error ? err.message : String(err) };
  const firstError = (r: SaveResult | undefined): SfError =>
    r?.errors[0] ?? { statusCode: 'UNKNOWN', message: 'no result for the record' };

  /** Runs one step over some items; a whole-request failure fails each of them. */
  async function step(items: Item[], fn: (items: Item[]) => Promise<void>) {
    const live = items.filter((i) => !i.failed);
    if (live.length === 0) return;
    try {
      await fn(live);
    } catch (err) {
      const { code, message } = errorOf(err);
      for (const i of live) await fail(i, code, message);
    }
  }

  async function syncBatch(sf: SalesforceApi, rows: SyncRow[]): Promise<void> {
    const items = await load(rows);
    const all = () => items.filter((i) => !i.failed);

    await step(items, async () => void (await callRecordTypeId(sf)));

    // A Task create whose outcome is unknown: find it by CallObject before creating another.
    await step(
      all().filter((i) => !i.taskId && i.row.createSent),
      async (unsure) => {
        const list = unsure.map((i) => soqlString(i.call.callSid)).join(', ');
        const tasks = await sf.query(
          `SELECT Id, WhoId, CallObject FROM Task WHERE CallObject IN (${list})`,
        );
        const byCall = new Map(tasks.map((t) => [t.CallObject as string, t]));
        for (const i of unsure) {
          const t = byCall.get(i.call.callSid);
          if (t) {
            i.taskId = t.Id;
            i.whoId = typeof t.WhoId === 'string' ? t.WhoId : i.whoId;
          }
        }
      },
    );

    const needWho = () => all().filter((i) => !i.taskId && !i.whoId);
    for (const i of needWho()) {
      if (!i.phone)
        await fail(
          i,
          'INVALID_PHONE',
          `caller number ${i.call.fromNumber ?? '(none)'} is not a phone number`,
        );
    }
    // A Lead create whose outcome is unknown: the exact phone sent finds it (SOQL, no index lag).
    await step(
      needWho().filter((i) => i.row.leadCreateSent),
      async (unsure) => assign(unsure, await leadsByExactPhone(sf, phonesOf(unsure))),
    );
    await step(needWho(), async (rest) => assign(rest, await matchCallers(sf, phonesOf(rest))));

    // Callers nobody knows: one Lead per number, even when it called several times.
    await step(needWho(), async (unknown) => {
      const byPhone = groupBy(unknown, (i) => i.phone?.e164 ?? '');
      const firsts = [...byPhone.values()].map((g) => g[0] as Item);
      await repo.markMany(
        unknown.map((i) => i.row.callSid),
        { leadCreateSent: true },
      );
      for (const chunk of chunks(firsts, MAX_COLLECTION)) {
        const results = await sf.createMany(
          'Lead',
          chunk.map((i) => leadRecord(i.call, i.phone as Phone)),
        );
        for (const [k, first] of chunk.entries()) {
          const r = results[k];
          const group = byPhone.get(first.phone?.e164 ?? '') ?? [];
          for (const i of group) {
            if (r?.success && r.id) {
              i.whoId = r.id;
              i.matchRule = 'lead-created';
            } else {
              const e = firstError(r);
              await fail(i, e.statusCode, `Lead: ${e.message}`);
            }
          }
        }
      }
    });

    const rtId = recordTypeId ?? '';
    // New Tasks. Marked as sent first, so a timeout leads to a CallObject lookup, not a copy.
    await step(
      all().filter((i) => !i.taskId && i.whoId),
      async (toCreate) => {
        await repo.markMany(
          toCreate.map((i) => i.row.callSid),
          { createSent: true },
        );
        for (const chunk of chunks(toCreate, MAX_COLLECTION)) {
          const results = await sf.createMany(
            'Task',
            chunk.map((i) =>
              taskRecord({
                call: i.call,
                score: i.score,
                campaign: i.campaign,
                whoId: i.whoId as string,
                recordTypeId: rtId,
                publicBaseUrl: deps.publicBaseUrl,
              }),
            ),
          );
          for (const [k, i] of chunk.entries()) {
            const r = results[k];
            if (r?.success && r.id) i.taskId = r.id;
            else {
              const e = firstError(r);
              await fail(i, e.statusCode, `Task: ${e.message}`, { createSent: false });
            }
          }
        }
      },
    );

    // Rescored calls: their Task gets the new score.
    await step(
      all().filter((i) => i.row.needsUpdate && i.row.taskId),
      async (toUpdate) => {
        for (const chunk of chunks(toUpdate, MAX_COLLECTION)) {
          const results = await sf.updateMany(
            'Task',
            chunk.map((i) => ({ Id: i.taskId, ...scoreFields(i.call, i.score) })),
          );
          for (const [k, i] of chunk.entries()) {
            const r = results[k];
            if (!r?.success) {
              const e = firstError(r);
              await fail(i, e.statusCode, `Task update: ${e.message}`);
            }
          }
        }
      },
    );

    await step(
      all().filter((i) => i.whoId && i.campaign?.salesforceCampaignId),
      async (members) => addCampaignMembers(sf, members),
    );

    const now = clock.now();
    for (const i of all()) {
      await repo.save(i.row.callSid, {
        state: 'synced',
        taskId: i.taskId,
        whoId: i.whoId,
        matchRule: i.matchRule,
        needsUpdate: false,
        createSent: false,
        leadCreateSent: false,
        attempts: i.row.attempts + 1,
        lastError: null,
        lastErrorCode: null,
        claimedUntil: null,
        syncedAt: now,
        updatedAt: now,
      });
    }
  }

  /** "Responded" in the mapped Campaign, once per person and campaign. */
  async function addCampaignMembers(sf: SalesforceApi, items: Item[]) {
    const pairs = items.map((i) => ({
      i,
      whoId: i.whoId as string,
      sfCampaignId: i.campaign?.salesforceCampaignId as string,
    }));
    const existing = await repo.existingMembers(pairs);
    const todo = new Map<string, (typeof pairs)[number]>();
    for (const p of pairs) {
      const key = memberKey(p.whoId, p.sfCampaignId);
      if (!existing.has(key) && !todo.has(key)) todo.set(key, p);
    }
    for (const chunk of chunks([...todo.values()], MAX_COLLECTION)) {
      const results = await sf.createMany(
        'CampaignMember',
        chunk.map((p) => ({
          CampaignId: p.sfCampaignId,
          [isContactId(p.whoId) ? 'ContactId' : 'LeadId']: p.whoId,
          Status: 'Responded',
        })),
      );
      for (const [k, p] of chunk.entries()) {
        const r = results[k];
        // DUPLICATE_VALUE: already a member (added by someone else, or a lost response).
        if (r?.success || firstError(r).statusCode === 'DUPLICATE_VALUE') {
          await repo.addMember({
            whoId: p.whoId,
            sfCampaignId: p.sfCampaignId,
            memberId: r?.id ?? null,
            callSid: p.i.call.callSid,
            createdAt: clock.now(),
          });
        } else {
          const e = firstError(r);
          await fail(p.i, e.statusCode, `CampaignMember: ${e.message}`);
        }
      }
    }
  }

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

    /** Polls for rows whose backoff has ended. */
    start() {
      if (!api || poller) return;
      poller = setInterval(flushLogged, Math.max(deps.windowMs, 1_000));
      poller.unref();
      flushLogged();
      if (deps.readBackEveryMs) {
        reader = setInterval(() => {
          readBack().catch((err: unknown) => log.error({ err }, 'salesforce read-back failed'));
        }, deps.readBackEveryMs);
        reader.unref();
      }
    },
    async stop() {
      if (poller) clearInterval(poller);
      if (reader) clearInterval(reader);
      reader = null;
      if (timer) clearTimeout(timer);
      poller = timer = null;
      await running?.catch(() => undefined);
    },

    /** Counts by state and the dead letters (`GET /api/v1/salesforce/sync`). */
    async status(limit = 100) {
      const counts: Record<string, number> = { pending: 0, retrying: 0, synced: 0, dead: 0 };
      for (const c of await repo.counts()) {
        const key =
          c.state === 'pending'
            ? !api
              ? 'not_configured'
              : c.retrying
                ? 'retrying'
                : 'pending'
            : c.state;
        counts[key] = (counts[key] ?? 0) + c.n;
      }
      const dead = await repo.deadLetters(limit);
      return {
        state: api ? 'running' : 'not_configured',
        counts,
        deadLetters: dead.map((d) => ({
          callSid: d.callSid,
          errorCode: d.lastErrorCode,
          error: d.lastError,
          attempts: d.attempts,
          deadAt: d.deadAt,
        })),
      };
    },

    /** Dead letters (all or one call's) are tried again. */
    async retry(callSid?: string) {
      const retried = await repo.retryDead(clock.now(), callSid);
      if (retried.length > 0 && api) flushLogged();
      return { retried };
    },

    /** Privacy: these calls leave the sync (nothing more is sent; the person's id is dropped). */
    forgetCalls: (callSids: string[]) => repo.forgetCalls(callSids),

    /** Reads back converted Leads and Opportunities (the periodic job; tests call it). */
    readBack,

    /** Deals and revenue per campaign, source or keyword (`GET /api/v1/salesforce/revenue`). */
    async revenue(by: RevenueGroup) {
      return { groupBy: by, rows: await repo.revenue(by) };
    },

    /** Won revenue and deals per call sid, credited as the read-back credits them (reports). */
    wonRevenueByCall: () => repo.wonRevenueByCall(),

    /** Each call's sync state, for the calls API. */
    async statesOf(callSids: string[]): Promise<Map<string, CallSalesforceState>> {
      const rows = await repo.statesOf(callSids);
      return new Map(rows.map((r) => [r.callSid, stateOf(r, api !== null)]));
    },
  };

  async function readBack(): Promise<number> {
    if (!api) return 0;
    return readBackOutcomes({ repo, api, calls: deps.calls, clock, log });
  }

  function assign(items: Item[], matches: Map<string, { whoId: string; rule: MatchRule }>) {
    for (const i of items) {
      const m = i.phone ? matches.get(i.phone.e164) : undefined;
      if (m) {
        i.whoId = m.whoId;
        i.matchRule = m.rule;
      }
    }
  }
}
export type SyncService = ReturnType<typeof createSyncService>;

function stateOf(r: SyncRow, configured: boolean): CallSalesforceState {
  const state =
    r.state === 'pending'
      ? !configured
        ? 'not_configured'
        : r.attempts > 0
          ? 'retrying'
          : 'pending'
      : r.state;
  return {
    state,
    ...(r.taskId ? { taskId: r.taskId } : {}),
    ...(r.whoId ? { whoId: r.whoId } : {}),
    ...(r.matchRule ? { matchRule: r.matchRule } : {}),
    ...(r.lastError && r.state !== 'synced' ? { error: r.lastError } : {}),
  };
}

const phonesOf = (items: Item[]) => items.flatMap((i) => (i.phone ? [i.phone] : []));

function chunks<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let k = 0; k < xs.length; k += n) out.push(xs.slice(k, k + n));
  return out;
}

function groupBy<T>(xs: T[], key: (x: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of xs) out.set(key(x), [...(out.get(key(x)) ?? []), x]);
  return out;
}
