import type { Clock } from '../shared/clock';
import type { ApiKeyRow, KeysRepo } from './keys.repo';
import { createKeyService } from './keys.service';

/** A keys repo in memory that counts lookups. */
function memoryKeys() {
  const rows: ApiKeyRow[] = [];
  let lookups = 0;
  const repo: KeysRepo = {
    async insert(row) {
      const created = {
        ...row,
        id: `k${rows.length}`,
        createdAt: new Date(),
        lastUsedAt: null,
        revokedAt: null,
        expiresAt: row.expiresAt ?? null,
      };
      rows.push(created);
      return created;
    },
    async findByHash(hash) {
      lookups += 1;
      return rows.find((r) => r.keyHash === hash);
    },
    async list() {
      return [...rows];
    },
    async revoke(id, at) {
      const row = rows.find((r) => r.id === id);
      if (row && !row.revokedAt) row.revokedAt = at;
      return row;
    },
    async countLive(role) {
      return rows.filter((r) => r.role === role && !r.revokedAt).length;
    },
  };
  return { repo, rows, lookups: () => lookups };
}

describe('createKeyService.resolve', () => {
  it('refuses a key on the next request once another node revoked it in the database', async () => {
    const keys = memoryKeys();
    const service = createKeyService({ keys: keys.repo });
    const { key } = await service.createKey('marketer', 'jo');
    expect(await service.resolve(key)).toMatchObject({ role: 'marketer' });
    for (const r of keys.rows) r.revokedAt = new Date();
    expect(await service.resolve(key)).toBeUndefined();
  });

  it('refuses a key once its expiry passes on the injected clock', async () => {
    let t = Date.parse('2026-06-01T15:00:00Z');
    const clock: Clock = { now: () => new Date(t) };
    const service = createKeyService({ keys: memoryKeys().repo, clock });
    const { key } = await service.createKey('admin', 'temp', new Date(t + 60_000));
    expect(await service.resolve(key)).toMatchObject({ role: 'admin' });
    t += 59_999;
    expect(await service.resolve(key)).toBeDefined();
    t += 1;
    expect(await service.resolve(key)).toBeUndefined();
    expect((await service.list())[0]?.state).toBe('expired');
  });

  it('refuses to mint a key that has already expired', async () => {
    const service = createKeyService({ keys: memoryKeys().repo });
    await expect(service.createKey('admin', 'old', new Date(Date.now() - 1000))).rejects.toThrow(
      /future/,
    );
  });

  it('caches an unknown key as unknown', async () => {
    const keys = memoryKeys();
    const service = createKeyService({ keys: keys.repo });
    expect(await service.resolve('ll_mkt_nope')).toBeUndefined();
    expect(await service.resolve('ll_mkt_nope')).toBeUndefined();
    expect(keys.lookups()).toBe(1);
  });
});
