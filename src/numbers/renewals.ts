import { LRUCache } from 'lru-cache';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import type { LeaseExtension, NumbersRepo, SessionTouch } from './numbers.repo';

/** What this node knows about a visitor's lease, from the last time the database answered. */
export interface HeldLease {
  siteId: string;
  sessionId: string;
  visitorId: string;
  campaignId: string;
  holdSeconds: number;
  numberId: string;
  e164: string;
  shared: boolean;
  /** Until when the database shows the lease (a lower bound: other nodes may have extended it). */
  dbExpiresAt: number;
}

export interface RenewalOptions {
  /** How often renewals answered from memory are written, in one statement per batch. */
  flushEveryMs: number;
  /**
   * A renewal is answered from memory only while the database still shows the lease for at least
   * this long, so an unwritten extension never lets another visitor have the number: the flush
   * lands well within the margin, and a node that dies leaves a lease that is still live.
   */
  reuseMarginMs: number;
  /** Visitors remembered per node. */
  maxVisitors: number;
}

export const DEFAULT_RENEWAL_OPTIONS: RenewalOptions = {
  flushEveryMs: 1000,
  reuseMarginMs: 10_000,
  maxVisitors: 100_000,
};

/**
 * Lease renewals without a database write per request: the serving node remembers each visitor's
 * lease and answers a renewal from memory, writing the extensions in batches.
 */
export function createRenewalBuffer(deps: {
  repo: NumbersRepo;
  clock: Clock;
  log: Logger;
  options: RenewalOptions;
}) {
  const { repo, clock, log, options } = deps;
  const key = (siteId: string, visitorId: string) => `${siteId}\u0000${visitorId}`;
  // Session id → held lease, for the flush's bookkeeping; kept in step with the LRU.
  const bySession = new Map<string, HeldLease>();
  const held = new LRUCache<string, HeldLease>({
    max: options.maxVisitors,
    dispose: (lease) => {
      if (bySession.get(lease.sessionId) === lease) bySession.delete(lease.sessionId);
    },
  });
  const pending = new Map<string, LeaseExtension>();
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;
  let stopped = false;
  let failures = 0;

  function schedule() {
    if (timer || stopped || options.flushEveryMs <= 0) return;
    timer = setTimeout(() => {
      timer = undefined;
      void flush();
    }, options.flushEveryMs);
    timer.unref();
  }

  async function writeBatch(): Promise<void> {
    const batch = [...pending.values()];
    pending.clear();
    if (batch.length === 0) return;
    const now = clock.now();
    try {
      const extended = await repo.extendLeases(batch, now);
      failures = 0;
      for (const b of batch) {
        const lease = bySession.get(b.sessionId);
        if (!lease) continue;
        // Not extended: the lease is no longer this visitor's; the database decides next time.
        if (extended.has(b.sessionId))
          lease.dbExpiresAt = Math.max(lease.dbExpiresAt, b.expiresAt.getTime());
        else held.delete(key(lease.siteId, lease.visitorId));
      }
    } catch (err) {
      // Retried for as long as the reuse margin covers them; after that the node behaves as one
      // that died: the renewals are dropped and those visitors' next requests go to the database.
      failures += 1;
      const giveUp = failures * Math.max(options.flushEveryMs, 1) >= options.reuseMarginMs;
      for (const b of batch) {
        const lease = bySession.get(b.sessionId);
        if (!lease) continue;
        if (giveUp || lease.dbExpiresAt <= now.getTime())
          held.delete(key(lease.siteId, lease.visitorId));
        else if (!pending.has(b.sessionId)) pending.set(b.sessionId, b);
      }
      if (giveUp) failures = 0;
      log.warn(
        { err, renewals: batch.length, dropped: giveUp },
        giveUp ? 'lease renewals not written; dropped' : 'lease renewals not written; retrying',
      );
    }
    if (pending.size > 0) schedule();
  }

  function flush(): Promise<void> {
    flushing ??= writeBatch().finally(() => {
      flushing = undefined;
    });
    return flushing;
  }

  return {
    /** Remembers what the database answered for a visitor, so their next renewal is local. */
    remember(siteId: string, touched: SessionTouch) {
      // A shared lease is remembered once the database has renewed it: a new shared answer may
      // be the campaign's source number, which has no lease to extend.
      if (!touched.numberId || !touched.e164 || (touched.shared && !touched.renewed)) return;
      const lease: HeldLease = {
        siteId,
        sessionId: touched.sessionId,
        visitorId: touched.visitorId,
        campaignId: touched.campaignId,
        holdSeconds: touched.holdSeconds,
        numberId: touched.numberId,
        e164: touched.e164,
        shared: touched.shared,
        dbExpiresAt: touched.expiresAt.getTime(),
      };
      held.set(key(siteId, touched.visitorId), lease);
      bySession.set(lease.sessionId, lease);
    },

    /**
     * Renews a visitor's lease in memory when this node holds it and the database still shows it
     * for longer than the reuse margin; otherwise undefined (the database must answer).
     */
    renew(
      siteId: string,
      visitorId: string,
      campaignId: string,
      newVisit: boolean,
    ): { lease: HeldLease; expiresAt: Date } | undefined {
      if (stopped || options.flushEveryMs <= 0) return undefined;
      const lease = held.get(key(siteId, visitorId));
      if (!lease) return undefined;
      // A visitor back through another campaign's source starts a new visit: the database decides.
      if (lease.campaignId !== campaignId && newVisit) return undefined;
      const now = clock.now();
      if (lease.dbExpiresAt < now.getTime() + options.reuseMarginMs) return undefined;
      const expiresAt = new Date(now.getTime() + lease.holdSeconds * 1000);
      pending.set(lease.sessionId, {
        sessionId: lease.sessionId,
        numberId: lease.numberId,
        shared: lease.shared,
        expiresAt,
        seenAt: now,
      });
      schedule();
      return { lease, expiresAt };
    },

    /** Writes every renewal answered so far (one statement). */
    flush,

    /** Renewals answered from memory and not written yet. */
    unflushed: () => pending.size,

    /**
     * Stops the flush timer, writing what is pending first unless `flush: false` (a node that
     * dies writes nothing: tests use it to show the reuse margin covers that).
     */
    async stop(opts: { flush?: boolean } = {}) {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (opts.flush === false) pending.clear();
      else await flush();
    },
  };
}
export type RenewalBuffer = ReturnType<typeof createRenewalBuffer>;
