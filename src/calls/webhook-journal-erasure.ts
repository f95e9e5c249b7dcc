import type { Clock } from '../shared/clock';
import { withDeadline } from '../shared/deadline';
import type { Logger } from '../shared/logger';
import { CALLER_PARAMS as CALLER_FIELDS } from './caller-params';

/** The caller's personal webhook fields, as a set for lookups. */
const CALLER_PARAMS: ReadonlySet<string> = new Set(CALLER_FIELDS);

/**
 * A webhook's params without the caller's personal fields, when any value is this number; else
 * undefined (the webhook is not about this caller).
 */
export function withoutCaller(
  params: Record<string, string>,
  e164: string,
): Record<string, string> | undefined {
  if (!Object.values(params).includes(e164)) return undefined;
  return Object.fromEntries(
    Object.entries(params).filter(([k, v]) => !CALLER_PARAMS.has(k) && v !== e164),
  );
}

/** An erasure run on this node, remembered while webhooks received before it may still arrive. */
interface Tombstone {
  e164: string;
  at: number;
  /** Erases again, after a write that carried the number landed once the erasure had passed. */
  again: () => Promise<unknown>;
  rerun?: Promise<unknown>;
}

/** A write of webhook params to the database that has started and not yet settled. */
interface Write {
  params: Record<string, string>;
  done: Promise<unknown>;
  /** Erasures that stopped waiting for this write: each runs again once it lands. */
  late: Set<Tombstone>;
}

/**
 * Keeps an erased caller from coming back through a webhook Leadline acknowledged before the
 * erasure but had not yet stored: the request's own write still running, a retry under way, or a
 * journaled webhook parked (or appended) only after the erasure scrubbed the journal.
 *
 * - Every write of webhook params is tracked while it runs. An erasure waits (bounded) for the
 *   running writes that carry the number, so the erasure's own pass over the database sees them;
 *   one still running when the wait ends makes the erasure run again once it lands.
 * - The erasure leaves a tombstone (in memory, for `holdMs`): a webhook received before it that is
 *   written, journaled or dead-lettered afterwards loses the caller's fields first.
 */
export function createErasedCallers(deps: { clock: Clock; log: Logger; holdMs?: number }) {
  const holdMs = deps.holdMs ?? 5 * 60_000;
  const tombstones = new Set<Tombstone>();
  const writes = new Set<Write>();
  const now = () => deps.clock.now().getTime();

  function prune() {
    const t = now();
    for (const s of tombstones) if (t - s.at > holdMs) tombstones.delete(s);
  }

  function runAgain(t: Tombstone) {
    t.rerun = (t.rerun ?? Promise.resolve())
      .then(t.again)
      .catch((err: unknown) =>
        deps.log.error({ err }, 'erasure after a late webhook write failed'),
      );
  }

  return {
    /**
     * The params without every caller erased since `receivedAt` (the same object when none
     * applies): what a webhook acknowledged before an erasure may still put in the database.
     */
    scrub(params: Record<string, string>, receivedAt: Date): Record<string, string> {
      if (tombstones.size === 0) return params;
      prune();
      let out = params;
      for (const t of tombstones) {
        if (t.at < receivedAt.getTime()) continue;
        out = withoutCaller(out, t.e164) ?? out;
      }
      return out;
    },

    /** Tracks a write of these params while it runs; answers the write itself. */
    track<T>(params: Record<string, string>, write: Promise<T>): Promise<T> {
      const w: Write = { params, done: write, late: new Set() };
      writes.add(w);
      write.then(
        () => {
          writes.delete(w);
          for (const t of w.late) runAgain(t);
        },
        () => writes.delete(w),
      );
      return write;
    },

    /**
     * Leaves a tombstone for this number now (before the call returns its promise), then waits
     * up to `settleMs` for running writes that carry the number. Answers how many were still
     * running: each of those calls `again` once it lands.
     */
    async erase(e164: string, opts: { settleMs: number; again: () => Promise<unknown> }) {
      prune();
      const t: Tombstone = { e164, at: now(), again: opts.again };
      tombstones.add(t);
      const racing = [...writes].filter((w) => Object.values(w.params).includes(e164));
      if (racing.length === 0) return 0;
      const all = Promise.allSettled(racing.map((w) => w.done));
      await withDeadline(all, opts.settleMs).catch(() => undefined);
      const late = racing.filter((w) => writes.has(w));
      for (const w of late) w.late.add(t);
      if (late.length > 0) {
        deps.log.warn({ writes: late.length }, 'erasure will run again after slow webhook writes');
      }
      return late.length;
    },
  };
}
export type ErasedCallers = ReturnType<typeof createErasedCallers>;
