import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Clock } from '../shared/clock';
import { DeadlineExceeded } from '../shared/deadline';
import { ConflictError, NotFoundError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { storableText } from './calls.schemas';
import type { StoredEvent } from './call-state';
import type { DeadLettersRepo } from './webhook-dead-letters.repo';
import { openWebhookJournal, type WebhookJournal } from './webhook-journal';
import { createWebhookRetry, type ParkedWebhook } from './webhook-retry';
import { createErasedCallers, withoutCaller } from './webhook-journal-erasure';

export { withoutCaller };

type Kind = StoredEvent['kind'];
const E164 = /^\+[1-9]\d{6,14}$/;
const KINDS: ReadonlySet<string> = new Set<Kind>([
  'voice',
  'status',
  'dial',
  'recording',
  'fallback',
]);

export interface DurabilityOptions {
  /** The journal's directory; null: a fresh temporary directory, removed at stop when empty. */
  journalDir: string | null;
  /** Resolves when the database answers (the probe that notices it is back). */
  ping: () => Promise<unknown>;
  /**
   * Which of these numbers were erased, on any node, at or after `since` (privacy's audit log).
   * Asked before a journaled webhook is written, never on a webhook's own request.
   */
  erasedSince?: (numbers: string[], since: Date) => Promise<ReadonlySet<string>>;
  maxAttempts?: number;
  tickMs?: number;
}

interface Deps extends DurabilityOptions {
  /** Stores one webhook; `dedupeKey` is the key it had as received, if its params changed. */
  store: (
    kind: Kind,
    params: Record<string, string>,
    receivedAt: Date,
    dedupeKey?: string,
  ) => Promise<unknown>;
  deadLetters: DeadLettersRepo;
  dedupeKey: (kind: Kind, params: Record<string, string>) => string;
  clock: Clock;
  log: Logger;
}

/**
 * What makes an acknowledged webhook survive: the local journal, the per-item retries that put
 * journaled webhooks in the database (at start, and again whenever the database is back), and the
 * dead-letter store for the ones the database will never take.
 */
export function createWebhookDurability(deps: Deps) {
  const { log } = deps;
  let journal: WebhookJournal | undefined;

  function openJournal(): WebhookJournal {
    if (journal) return journal;
    const dir = deps.journalDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'leadline-journal-'));
    journal = openWebhookJournal({ dir, log });
    return journal;
  }

  const asKind = (k: string): Kind => {
    if (!KINDS.has(k)) throw new Error(`unknown webhook kind ${k}`);
    return k as Kind;
  };
  const originalKey = (kind: string, params: Record<string, string>, key?: string) =>
    key ?? (KINDS.has(kind) ? deps.dedupeKey(kind as Kind, params) : undefined);

  const erased = createErasedCallers({ clock: deps.clock, log });
  /** The item as it may be written now: without callers erased since it was received. */
  const current = (item: ParkedWebhook): ParkedWebhook => {
    const params = erased.scrub(item.params, item.receivedAt);
    if (params === item.params) return item;
    return { ...item, params, dedupeKey: originalKey(item.kind, item.params, item.dedupeKey) };
  };

  /**
   * As `current`, and without callers another node (or an earlier process) erased since. The
   * local scrub comes last, after the database is asked, so no erasure on this node can slip in
   * between it and the write being tracked.
   */
  const currentEverywhere = async (parked: ParkedWebhook): Promise<ParkedWebhook> => {
    const numbers = [...new Set(Object.values(parked.params).filter((v) => E164.test(v)))];
    if (!deps.erasedSince || numbers.length === 0) return current(parked);
    let params = parked.params;
    for (const n of await deps.erasedSince(numbers, parked.receivedAt)) {
      params = withoutCaller(params, n) ?? params;
    }
    if (params === parked.params) return current(parked);
    const dedupeKey = originalKey(parked.kind, parked.params, parked.dedupeKey);
    return current({ ...parked, params, dedupeKey });
  };

  const retry = createWebhookRetry({
    attempt: async (parked) => {
      const item = await currentEverywhere(parked);
      return erased.track(
        item.params,
        deps.store(asKind(item.kind), item.params, item.receivedAt, item.dedupeKey),
      );
    },
    deadLetter: async (parked, error, attempts) => {
      const item = await currentEverywhere(parked);
      return erased.track(
        item.params,
        deps.deadLetters.put({
          dedupeKey:
            originalKey(item.kind, item.params, item.dedupeKey) ?? `${item.kind}:${item.id}`,
          kind: item.kind,
          callSid: item.params.CallSid ?? null,
          params: item.params,
          receivedAt: item.receivedAt,
          // The database's message may quote the refused value, NUL bytes and all.
          error: storableText(error),
          attempts,
        }),
      );
    },
    settled: (id) => journal?.markDone(id) ?? Promise.resolve(),
    probe: deps.ping,
    clock: deps.clock,
    log,
    maxAttempts: deps.maxAttempts,
    tickMs: deps.tickMs,
  });

  return {
    retry,

    /** Appends to the journal (fsynced) and keeps the webhook until it is in the database. */
    async journal(
      kind: Kind,
      params: Record<string, string>,
      receivedAt: Date,
      inFlight: Promise<unknown>,
      error: unknown,
    ): Promise<void> {
      // An erasure since it was received (while its own write ran) already scrubbed the journal.
      const now = current({ id: '', kind, params, receivedAt });
      const entry = await openJournal().append(kind, now.params, receivedAt, now.dedupeKey);
      const item: ParkedWebhook = {
        id: entry.id,
        kind,
        params: entry.params,
        receivedAt,
        dedupeKey: entry.dedupeKey,
      };
      // Timed out: the request's own write may still land. Failed: say why right away.
      retry.park(item, error instanceof DeadlineExceeded ? { inFlight } : { error });
    },

    /** Opens the journal and hands what a previous process left to the retries. */
    start() {
      const recovered = openJournal().recovered();
      if (recovered.length > 0) {
        log.warn({ entries: recovered.length }, 'replaying the webhook journal');
      }
      for (const e of recovered) {
        retry.park({
          id: e.id,
          kind: e.kind,
          params: e.params,
          receivedAt: new Date(e.receivedAt),
          dedupeKey: e.dedupeKey,
        });
      }
      retry.start();
      // Replay now rather than at the first tick; a database still down is probed later.
      void retry.flush().catch((err: unknown) => log.error({ err }, 'journal replay failed'));
    },

    async stop() {
      retry.stop();
      await journal?.close({ removeDirIfEmpty: deps.journalDir === null });
      journal = undefined;
    },

    backlog: () => journal?.backlog() ?? 0,

    /**
     * Tracks the request's own write of a webhook while it runs, so an erasure of its caller
     * waits for it (see webhook-journal-erasure.ts). Answers the write.
     */
    track: <T>(params: Record<string, string>, write: Promise<T>): Promise<T> =>
      erased.track(params, write),

    /** Webhooks in the dead-letter store (for /metrics). */
    countDeadLetters: () => deps.deadLetters.count(),

    /**
     * Erases a caller from the dead-letter store, the retry buffer and the journal: their number,
     * name and place leave the params (a journaled webhook keeps its original dedupe key, so it is
     * still stored once), and journal entries already in the database leave the files. Webhooks
     * acknowledged before now and written later lose them too, and writes of them already running
     * are waited for (up to `settleMs`, default 10 s): one still running then makes this, and
     * `again` (the caller's erasure from the database), run again once it lands. Answers how many
     * dead letters and journal entries named the caller.
     */
    async forgetCaller(
      e164: string,
      opts: { settleMs?: number; again?: () => Promise<unknown> } = {},
    ): Promise<{ deadLetters: number; journal: number }> {
      const scrubDeadLetters = async () => {
        let n = 0;
        for (const row of await deps.deadLetters.mentioning(e164)) {
          const scrubbed = withoutCaller(JSON.parse(row.params) as Record<string, string>, e164);
          if (!scrubbed) continue;
          await deps.deadLetters.replaceParams(row.id, scrubbed);
          n += 1;
        }
        return n;
      };
      // The tombstone goes down first, so nothing written from here on carries the number.
      const settled = erased.erase(e164, {
        settleMs: opts.settleMs ?? 10_000,
        again: async () => {
          await scrubDeadLetters();
          await opts.again?.();
        },
      });
      retry.rewrite((item) => {
        const params = withoutCaller(item.params, e164);
        if (!params) return undefined;
        return {
          ...item,
          params,
          dedupeKey: originalKey(item.kind, item.params, item.dedupeKey),
        };
      });
      const inJournal = journal
        ? await journal.rewrite((e) => {
            const params = withoutCaller(e.params, e164);
            if (!params) return undefined;
            return { ...e, params, dedupeKey: originalKey(e.kind, e.params, e.dedupeKey) };
          })
        : 0;
      await settled;
      // After the wait: a dead letter being written with the number has landed by now.
      const deadLetters = await scrubDeadLetters();
      return { deadLetters, journal: inJournal };
    },

    async listDeadLetters(limit = 100) {
      const rows = await deps.deadLetters.list(limit);
      return rows.map((r) => ({
        id: r.id,
        kind: r.kind,
        callSid: r.callSid,
        params: JSON.parse(r.params) as Record<string, string>,
        receivedAt: r.receivedAt,
        error: r.error,
        attempts: r.attempts,
        createdAt: r.createdAt,
        updatedAt: r.updatedAt,
      }));
    },

    /** Stores a dead-lettered webhook again; gone from the store when it lands. */
    async retryDeadLetter(id: string): Promise<{ id: string; recorded: true }> {
      const row = await deps.deadLetters.find(id);
      if (!row) throw new NotFoundError('webhook dead letter', 'dead_letter_not_found');
      const params = JSON.parse(row.params) as Record<string, string>;
      try {
        await deps.store(asKind(row.kind), params, row.receivedAt);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        await deps.deadLetters.failedAgain(id, message);
        throw new ConflictError(`the webhook still cannot be stored: ${message}`, 'still_failing');
      }
      await deps.deadLetters.remove(id);
      return { id, recorded: true };
    },
  };
}

/** The admin's view of the webhook dead-letter store. */
export interface WebhookDeadLetters {
  list: ReturnType<typeof createWebhookDurability>['listDeadLetters'];
  retry: ReturnType<typeof createWebhookDurability>['retryDeadLetter'];
}
