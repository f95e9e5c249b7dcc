import { randomUUID } from 'node:crypto';
import { createTestContext, type TestContext } from './support/context';
import { openDatabase, type Database } from '../src/shared/db';
import { createFollowUpsRepo } from '../src/routing/follow-ups.repo';

const onPostgres = process.env.DATABASE_URL ? describe : describe.skip;

onPostgres('follow-up claims on PostgreSQL, two nodes', () => {
  let t: TestContext;
  let other: Database;

  beforeAll(async () => {
    t = await createTestContext();
    other = await openDatabase({ url: t.databaseUrl ?? '', poolSize: 8 });
  });
  afterAll(async () => {
    await other.close();
    await t.close();
  });

  it('gives each follow-up to exactly one agent when agents on two nodes claim it at once', async () => {
    const nodeA = createFollowUpsRepo(t.ctx.database.db);
    const nodeB = createFollowUpsRepo(other.db);
    const sids = Array.from({ length: 30 }, (_, i) => `CA${String(i).padStart(32, 'a')}`);
    const missedAt = new Date('2026-06-01T15:00:00Z');
    for (const callSid of sids) {
      expect(await nodeA.insert({ callSid, campaignId: null, missedAt })).toBe(true);
    }
    // A repeated final status does not make a second follow-up.
    expect(await nodeB.insert({ callSid: sids[0] ?? '', campaignId: null, missedAt })).toBe(false);

    const agents = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const at = new Date('2026-06-01T15:01:00Z');
    const results = await Promise.all(
      sids.flatMap((callSid) =>
        agents.map((agentId, i) =>
          (i % 2 === 0 ? nodeA : nodeB).claim(callSid, agentId, at).then((row) => ({
            callSid,
            agentId,
            won: row !== undefined,
          })),
        ),
      ),
    );
    for (const callSid of sids) {
      const winners = results.filter((r) => r.callSid === callSid && r.won);
      expect(winners).toHaveLength(1);
      const stored = await nodeB.find(callSid);
      expect(stored).toMatchObject({ state: 'claimed', claimedBy: winners[0]?.agentId });
    }
  });
});
