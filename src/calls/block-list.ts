import { LRUCache } from 'lru-cache';
import type { Clock } from '../shared/clock';
import { NotFoundError } from '../shared/errors';
import type { CallsRepo } from './calls.repo';

/** Numbers or prefixes whose calls are refused and recorded as spam; checked once per call. */
export function createBlockList(deps: { repo: CallsRepo; clock: Clock; ttlMs?: number }) {
  const { repo } = deps;
  // One entry (the whole list): every call asks, the list changes rarely.
  const cache = new LRUCache<'all', string[]>({
    max: 1,
    ttl: deps.ttlMs ?? 5_000,
    noDeleteOnStaleGet: true,
    allowStaleOnFetchRejection: true,
    perf: { now: () => deps.clock.now().getTime() },
    fetchMethod: async () => (await repo.listBlocked()).map((b) => b.pattern),
  });

  return {
    /** The block-list pattern (number or prefix) that matches this caller, if any. */
    async match(from: string): Promise<string | undefined> {
      if (!from) return undefined;
      const patterns = (await cache.fetch('all')) ?? [];
      return patterns.find((p) => from.startsWith(p));
    },
    list: () => repo.listBlocked(),
    async add(pattern: string, reason: string | null) {
      const row = await repo.addBlocked(pattern, reason);
      cache.clear();
      return row;
    },
    async remove(id: string) {
      const removed = await repo.removeBlocked(id);
      cache.clear();
      if (!removed) throw new NotFoundError('blocked number', 'blocked_number_not_found');
    },
  };
}
export type BlockList = ReturnType<typeof createBlockList>;
