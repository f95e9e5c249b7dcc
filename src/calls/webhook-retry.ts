import type { Clock } from '../shared/clock';
import { DeadlineExceeded, withDeadline } from '../shared/deadline';
import type { Logger } from '../shared/logger';

/**
 * Why a write failed, which decides what happens next:
 * - `unavailable`: the database is down or slow; wait for it, the attempt does not count.
 * - `data`: the database refuses this value (SQLSTATE class 22); retrying cannot help.
 * - `other`: anything else; retried with backoff, dead-lettered after `maxAttempts`.
 */
export type FailureKind = 'unavailable' | 'data' | 'other';

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  '55000', // database is not currently accepting connections
  '55006', // the database is being accessed by other users
]);

export function classifyFailure(err: unknown): FailureKind {
  if (err instanceof DeadlineExceeded) return 'unavailable';
  const e = err as { code?: unknown; errno?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (UNAVAILABLE_CODES.has(code) || /^(08|53|57P)/.test(code)) return 'unavailable';
  // Class 22: data exceptions; class 54: a value too large for an index row, say.
  if (/^(22|54)/.test(code)) return 'data';
  const message = typeof e?.message === 'string' ? e.message : '';
  if (
    /invalid input syntax|out of range|untranslatable character|unsupported Unicode escape|index row size/i.test(
      message,
    )
  ) {
    return 'data';
  }
  if (/terminat|connection|ECONNREFUSED|timeout|not currently accepting/i.test(message)) {
    return 'unavailable';
  }
  return 'other';
}

export interface ParkedWebhook {
  /** The journal entry's id: the item is durable there until it is done. */
  id: string;
  kind: string;
  params: Record<string, string>;
  receivedAt: Date;
  /** The event's dedupe key as received, when params were changed since (erasure). */
  dedupeKey?: string;
}

export interface WebhookRetryDeps {
  /** Stores the webhook (idempotent: a webhook that landed already is a no-op). */
  attempt: (item: ParkedWebhook) => Promise<unknown>;
  /** Keeps a webhook that will never be stored, with its error, for an admin to look at. */
  deadLetter: (item: ParkedWebhook, error: string, attempts: number) => Promise<unknown>;
  /** The item is in the database or the dead-letter store (the journal may forget it). */
  settled: (id: string) => Promise<unknown>;
  /** Resolves when the database answers again. */
  probe: () => Promise<unknown>;
  clock: Clock;
  log: Logger;
  random?: () => number;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  tickMs?: number;
  /** Retries running at once, so a recovering database is not flooded. */
  concurrency?: number;
  probeTimeoutMs?: number;
}

interface Slot {
  item: ParkedWebhook;
  /** Attempts that failed for a reason other than the database being unavailable. */
  tries: number;
  dueAt: number;
  busy?: Promise<void>;
  /** Set once the item is known to be poison: what is left is writing its dead letter. */
  deadError?: string;
}

/**
 * Webhooks that are durable in the journal but not yet in the database. Each retries on its own
 * schedule (exponential backoff with full jitter); one that can never be stored goes to the
 * dead-letter store with its error, so nothing waits behind it. While the database is down no
 * attempt counts: a probe watches it, and when it answers again every item is due at once.
 */
export function createWebhookRetry(deps: WebhookRetryDeps) {
  const random = deps.random ?? Math.random;
  const maxAttempts = deps.maxAttempts ?? 8;
  const baseDelayMs = deps.baseDelayMs ?? 1_000;
  const maxDelayMs = deps.maxDelayMs ?? 60_000;
  const concurrency = deps.concurrency ?? 8;
  const probeTimeoutMs = deps.probeTimeoutMs ?? 1_000;
  const slots = new Map<string, Slot>();
  let databaseDown = false;
  let probing: Promise<boolean> | undefined;
  let running = 0;
  let timer: NodeJS.Timeout | undefined;

  const now = () => deps.clock.now().getTime();
  /** Half the exponential delay fixed, half random, so a crowd of retries spreads out. */
  const backoff = (tries: number) => {
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, tries - 1));
    return ceiling / 2 + random() * (ceiling / 2);
  };

  async function finish(slot: Slot) {
    slots.delete(slot.item.id);
    await deps.settled(slot.item.id).catch((err: unknown) => {
      deps.log.error({ err, id: slot.item.id }, 'journal entry not marked done');
    });
  }

  function failed(slot: Slot, err: unknown) {
    const kind = classifyFailure(err);
    const ctx = { id: slot.item.id, kind: slot.item.kind, callSid: slot.item.params.CallSid };
    if (kind === 'unavailable') {
      databaseDown = true;
      slot.dueAt = now() + backoff(1);
      return;
    }
    slot.tries += 1;
    const message = err instanceof Error ? err.message : String(err);
    if (slot.deadError === undefined && (kind === 'data' || slot.tries >= maxAttempts)) {
      deps.log.error({ ...ctx, err, tries: slot.tries }, 'webhook cannot be stored; dead letter');
      slot.deadError = message;
      slot.dueAt = now();
      return;
    }
    deps.log.warn({ ...ctx, err, tries: slot.tries }, 'webhook not stored; will retry');
    slot.dueAt = now() + backoff(slot.tries);
  }

  function run(slot: Slot, work: () => Promise<unknown>, counted = true): Promise<void> {
    if (counted) running += 1;
    const busy = work()
      .then(
        () => finish(slot),
        (err: unknown) => failed(slot, err),
      )
      .finally(() => {
        if (counted) running -= 1;
        slot.busy = undefined;
      });
    slot.busy = busy;
    return busy;
  }

  function step(slot: Slot): Promise<void> {
    const { deadError } = slot;
    return run(slot, () =>
      deadError === undefined
        ? deps.attempt(slot.item)
        : deps.deadLetter(slot.item, deadError, slot.tries),
    );
  }

  /** Asks the database whether it is back; when it is, every waiting item is due now. */
  function probe(): Promise<boolean> {
    probing ??= withDeadline(deps.probe(), probeTimeoutMs)
      .then(
        () => {
          if (databaseDown) deps.log.info({ pending: slots.size }, 'database back; replaying');
          databaseDown = false;
          for (const s of slots.values()) s.dueAt = 0;
          return true;
        },
        () => false,
      )
      .finally(() => (probing = undefined));
    return probing;
  }

  function startDue(limit: number): Promise<void>[] {
    const started: Promise<void>[] = [];
    const t = now();
    for (const slot of slots.values()) {
      if (running >= limit) break;
      if (!slot.busy && slot.dueAt <= t) started.push(step(slot));
    }
    return started;
  }

  async function tick() {
    if (slots.size === 0) return;
    if (databaseDown && !(await probe())) return;
    startDue(concurrency);
  }

  return {
    /**
     * Keeps a journaled webhook until it is stored. `inFlight` is the request's own write, still
     * running: the item waits for it rather than race it.
     */
    park(item: ParkedWebhook, opts: { inFlight?: Promise<unknown>; error?: unknown } = {}) {
      if (slots.has(item.id)) return;
      const slot: Slot = { item, tries: 0, dueAt: now() };
      slots.set(item.id, slot);
      const { inFlight } = opts;
      if (inFlight) {
        // The request's own write is not one of ours: it does not take a retry slot.
        void run(slot, () => inFlight, false);
      } else if (opts.error !== undefined) {
        failed(slot, opts.error);
      }
    },

    /** Tries every waiting item now and waits for them; answers how many are still waiting. */
    async flush(): Promise<number> {
      if (databaseDown) await probe();
      for (const s of slots.values()) if (!s.deadError) s.dueAt = Math.min(s.dueAt, now());
      const started = startDue(Number.POSITIVE_INFINITY);
      const busy = [...slots.values()].flatMap((s) => (s.busy ? [s.busy] : []));
      await Promise.all([...started, ...busy]);
      // A poison item found just now still has its dead letter to write.
      await Promise.all(startDue(Number.POSITIVE_INFINITY));
      return slots.size;
    },

    start() {
      if (timer) return;
      timer = setInterval(() => void tick(), deps.tickMs ?? 500);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
    /** Replaces waiting items that `scrub` changes (a write already running keeps its copy). */
    rewrite(scrub: (item: ParkedWebhook) => ParkedWebhook | undefined): number {
      let replaced = 0;
      for (const slot of slots.values()) {
        const next = scrub(slot.item);
        if (next) {
          slot.item = next;
          replaced += 1;
        }
      }
      return replaced;
    },
    size: () => slots.size,
    /** True from a write failing for want of a database until a probe reaches it again. */
    databaseDown: () => databaseDown,
  };
}
export type WebhookRetry = ReturnType<typeof createWebhookRetry>;
