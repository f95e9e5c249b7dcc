import type { CallRow } from '../calls/calls.repo';
import type { CallScore } from '../calls/calls.service';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import type { MatchRule } from './caller-match';
import type { CampaignInfo, Phone } from './mapping';
import { SalesforceError, type SaveResult, type SfError } from './salesforce.client';
import type { SyncPatch, SyncRepo, SyncRow } from './sync.repo';

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

const BASE_DELAY_MS = 2_000;
const MAX_DELAY_MS = 30 * 60_000;

/** One call in a batch: what it is sent with, and how far it got in this batch. */
export interface Item {
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

/** A Salesforce error (or anything thrown) as a code and a message. */
export const errorOf = (err: unknown) =>
  err instanceof SalesforceError
    ? { code: err.errorCode, message: err.message }
    : { code: 'UNKNOWN', message: err instanceof Error ? err.message : String(err) };

/** The first error of a collection's per-record result. */
export const firstError = (r: SaveResult | undefined): SfError =>
  r?.errors[0] ?? { statusCode: 'UNKNOWN', message: 'no result for the record' };

/**
 * Writes how a batch ended for each call: synced, retried later with exponential backoff and
 * jitter, or a dead letter when Salesforce refused the data.
 */
export function createSyncResults(deps: {
  repo: SyncRepo;
  clock: Clock;
  log: Logger;
  /** A number in [0, 1) for backoff jitter. */
  random: () => number;
}) {
  const { repo, clock, log } = deps;

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
    const delay =
      Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (attempts - 1)) * (0.5 + deps.random());
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

  /** The items that got through every step: their Salesforce ids are stored, the row is done. */
  async function synced(items: Item[]) {
    const now = clock.now();
    for (const i of items) {
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

  return { dead, fail, synced };
}
export type SyncResults = ReturnType<typeof createSyncResults>;
