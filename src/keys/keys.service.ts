import { hashSecret, newSecret, sameSecret, type Principal, type Role } from '../shared/auth';
import { LRUCache } from 'lru-cache';
import { systemClock, type Clock } from '../shared/clock';
import type { KeysRepo } from './keys.repo';

/** How long a resolved key is trusted on this node (a revoked key works here up to this long). */
const CACHE_MS = 30_000;

/** API keys: minted once (shown only then), resolved by hash, with a short cache per node. */
export function createKeyService(deps: { keys: KeysRepo; adminKey?: string; clock?: Clock }) {
  const clock = deps.clock ?? systemClock;
  // Unknown keys are cached too (as `principal: undefined`), so guessing costs no query each time.
  const cache = new LRUCache<string, { principal: Principal | undefined }>({
    max: 10_000,
    ttl: CACHE_MS,
    ttlResolution: 0,
    perf: { now: () => clock.now().getTime() },
  });

  return {
    /** Mints a key; the plain key is returned only here. */
    async createKey(role: Role, name: string): Promise<{ id: string; key: string; role: Role }> {
      const key = newSecret(`ll_${role === 'admin' ? 'adm' : 'mkt'}`);
      const row = await deps.keys.insert({
        name,
        role,
        keyHash: hashSecret(key),
        keyPrefix: key.slice(0, 10),
      });
      return { id: row.id, key, role };
    },

    async resolve(presented: string): Promise<Principal | undefined> {
      if (deps.adminKey && sameSecret(presented, deps.adminKey)) {
        return { keyId: 'env:LEADLINE_ADMIN_KEY', role: 'admin' };
      }
      const hash = hashSecret(presented);
      const hit = cache.get(hash);
      if (hit) return hit.principal;
      const row = await deps.keys.findLiveByHash(hash);
      const principal = row ? { keyId: row.id, role: row.role } : undefined;
      cache.set(hash, { principal });
      return principal;
    },

    /** First start without LEADLINE_ADMIN_KEY: make an admin key so the API is usable. */
    async ensureBootstrapAdmin(): Promise<string | undefined> {
      if (deps.adminKey) return undefined;
      if ((await deps.keys.countLive('admin')) > 0) return undefined;
      const { key } = await this.createKey('admin', 'bootstrap admin');
      return key;
    },
  };
}
export type KeyService = ReturnType<typeof createKeyService>;
