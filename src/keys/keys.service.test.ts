import type { Clock } from '../shared/clock';
import type { ApiKeyRow, KeysRepo } from './keys.repo';
import { createKeyService } from './keys.service';

/** A keys repo in memory that counts lookups, so a test sees what the cache saved. */
function memoryKeys() {
  const rows: ApiKeyRow[] = [];
  let lookups = 0;
  const repo: KeysRepo = {
    async insert(row) {
      const created = { ...row, id: `k${rows.length}`, createdAt: new Date(), revokedAt: null };
      rows.push(created as ApiKeyRow);
      return created as ApiKeyRow;
    },
    async findLiveByHash(hash) {
      lookups += 1;
      return rows.find((r) => r.keyHash === hash && !r.revokedAt);
    },
    async countLive(role) {
      return rows.filter((r) => r.role === role && !r.revokedAt).length;
    },
  };
  return { repo, rows, lookups: () => lookups };
}

describe('createKeyService.resolve', () => {
  it('serves a key from its cache for 30 seconds on the injected clock, then reads it again', async () => {
    let t = Date.parse('2026-06-01T15:00:00Z');
    const clock: Clock = { now: () => new Date(t) };
    const keys = memoryKeys();
    const service = createKeyService({ keys: keys.repo, clock });
    const { key } = await service.createKey('marketer', 'jo');

    expect(await service.resolve(key)).toMatchObject({ role: 'marketer' });
    await service.resolve(key);
    expect(keys.lookups()).toBe(1);

    // Revoked in the database: this node keeps trusting it until the entry expires.
    for (const r of keys.rows) r.revokedAt = new Date(t);
    t += 30_000;
    expect(await service.resolve(key)).toBeDefined();
    t += 1;
    expect(await service.resolve(key)).toBeUndefined();
    expect(keys.lookups()).toBe(2);
  });

  it('caches an unknown key as unknown', async () => {
    const keys = memoryKeys();
    const service = createKeyService({ keys: keys.repo });
    expect(await service.resolve('ll_mkt_nope')).toBeUndefined();
    expect(await service.resolve('ll_mkt_nope')).toBeUndefined();
    expect(keys.lookups()).toBe(1);
  });
});
