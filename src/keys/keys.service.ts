import { hashSecret, newSecret, sameSecret, type Principal, type Role } from '../shared/auth';
import { LRUCache } from 'lru-cache';
import { NotFoundError, ValidationError } from '../shared/errors';
import { systemClock, type Clock } from '../shared/clock';
import type { ApiKeyRow, KeysRepo } from './keys.repo';

/** How long an unknown key is remembered as unknown on this node (guessing costs no query). */
const UNKNOWN_CACHE_MS = 30_000;

/** What the keys API shows of a key: never the key or its hash. */
export interface KeyView {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  state: 'active' | 'expired' | 'revoked';
}

/**
 * API keys: minted once (shown only then), listed, revoked, optionally expiring. A known key is
 * read from the database on every request (one lookup on a unique index), so a key revoked on any
 * node is refused on the next request everywhere; expiry is checked against the injected clock.
 * Only unknown keys are cached, and a key cannot become known after being presented unknown.
 */
export function createKeyService(deps: { keys: KeysRepo; adminKey?: string; clock?: Clock }) {
  const clock = deps.clock ?? systemClock;
  const unknown = new LRUCache<string, true>({
    max: 10_000,
    ttl: UNKNOWN_CACHE_MS,
    ttlResolution: 0,
    perf: { now: () => clock.now().getTime() },
  });

  const stateOf = (row: ApiKeyRow, now: Date): KeyView['state'] =>
    row.revokedAt ? 'revoked' : row.expiresAt && row.expiresAt <= now ? 'expired' : 'active';

  const view = (row: ApiKeyRow, now: Date): KeyView => ({
    id: row.id,
    name: row.name,
    role: row.role,
    prefix: row.keyPrefix,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
    state: stateOf(row, now),
  });

  return {
    /** Mints a key; the plain key is returned only here. */
    async createKey(
      role: Role,
      name: string,
      expiresAt: Date | null = null,
    ): Promise<{ id: string; key: string; role: Role; name: string; expiresAt: Date | null }> {
      if (expiresAt && expiresAt <= clock.now()) {
        throw new ValidationError('invalid body: expiresAt: must be in the future', [
          { field: 'expiresAt', message: 'must be in the future' },
        ]);
      }
      const key = newSecret(`ll_${role === 'admin' ? 'adm' : 'mkt'}`);
      const row = await deps.keys.insert({
        name,
        role,
        keyHash: hashSecret(key),
        keyPrefix: key.slice(0, 10),
        expiresAt,
      });
      return { id: row.id, key, role, name, expiresAt: row.expiresAt };
    },

    async resolve(presented: string): Promise<Principal | undefined> {
      if (deps.adminKey && sameSecret(presented, deps.adminKey)) {
        return { keyId: 'env:LEADLINE_ADMIN_KEY', role: 'admin' };
      }
      const hash = hashSecret(presented);
      if (unknown.has(hash)) return undefined;
      const row = await deps.keys.findByHash(hash);
      if (!row) {
        unknown.set(hash, true);
        return undefined;
      }
      return stateOf(row, clock.now()) === 'active' ? { keyId: row.id, role: row.role } : undefined;
    },

    async list(): Promise<KeyView[]> {
      const now = clock.now();
      return (await deps.keys.list()).map((r) => view(r, now));
    },

    /** Revokes a key; revoking it again answers the same. */
    async revoke(id: string): Promise<KeyView> {
      const row = await deps.keys.revoke(id, clock.now());
      if (!row) throw new NotFoundError('api key', 'api_key_not_found');
      return view(row, clock.now());
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
