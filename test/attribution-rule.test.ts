import { sql } from 'drizzle-orm';
import { createTestContext, type TestContext } from './support/context';
import { buildTrackedCampaign } from './support/factories';

// The attribution rule (leadline_call_visit, migration 0018) over hand-made lease histories: the
// statement that stores a call's first event applies the same function.
const T0 = Date.parse('2026-06-01T15:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);
/** Well over any history here: the rule then sees every lease that began before the call. */
const NO_GRACE_LIMIT = 10 * 365 * 86_400;

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(async () => {
  await t.close();
});

type Lease = [visit: string, from: number, to: number, shared?: boolean];

/**
 * A number with the given lease history (one visit per distinct name), and the rule's answer for a
 * call at `callAt`, with session ids turned back into the visits' names.
 */
async function attribute(leases: Lease[], callAt: number, graceSeconds = NO_GRACE_LIMIT) {
  const { site, campaign, numbers } = await buildTrackedCampaign(t.ctx);
  const numberId = numbers[0]?.id ?? '';
  const sessionOf = new Map<string, string>();
  for (const [name] of leases) {
    if (sessionOf.has(name)) continue;
    const [row] = await t.ctx.database.rows<{ id: string }>(sql`
      insert into visitor_sessions (site_id, campaign_id, visitor_id, landing_url, source)
      values (${site.id}::uuid, ${campaign.id}::uuid, ${`visitor-${name}`}, 'https://example.com/',
        ${`source-${name}`})
      returning id`);
    sessionOf.set(name, row?.id ?? '');
  }
  for (const [name, from, to, shared = false] of leases) {
    await t.ctx.database.rows(sql`
      insert into number_leases (number_id, session_id, campaign_id, shared, started_at, expires_at)
      values (${numberId}::uuid, ${sessionOf.get(name)}::uuid, ${campaign.id}::uuid, ${shared},
        ${at(from).toISOString()}::timestamptz, ${at(to).toISOString()}::timestamptz)`);
  }
  const nameOf = new Map([...sessionOf].map(([name, id]) => [id, name]));
  const v = await t.ctx.numbers.callVisit(numberId, at(callAt), graceSeconds);
  return {
    confidence: v.confidence,
    chosen: v.sessionId ? nameOf.get(v.sessionId) : undefined,
    candidates: v.candidates?.map((id) => nameOf.get(id)) ?? null,
    // The visit's own columns come with it.
    visitorId: v.visitorId,
    source: v.source,
  };
}

describe('which visit a call belongs to', () => {
  it('is exact when one visit alone held the number around the call', async () => {
    const d = await attribute([['a', 0, 600]], 300);
    expect(d).toEqual({
      confidence: 'exact',
      chosen: 'a',
      candidates: null,
      visitorId: 'visitor-a',
      source: 'source-a',
    });
  });

  it('is exact for one visit with several lease rows (a lapsed lease taken up again)', async () => {
    const d = await attribute(
      [
        ['a', 0, 60],
        ['a', 90, 700],
      ],
      300,
    );
    expect(d).toMatchObject({ confidence: 'exact', chosen: 'a', candidates: null });
  });

  it('is ambiguous when another visitor held the number within the grace period before the call', async () => {
    // a overflowed onto the number and still sees it; c leased it after a's lease ended.
    const d = await attribute(
      [
        ['a', 0, 100, true],
        ['c', 101, 1900],
      ],
      130,
      900,
    );
    expect(d).toMatchObject({ confidence: 'ambiguous', chosen: 'c', candidates: ['c', 'a'] });
  });

  it('is exact again once the earlier holder ended before the grace period', async () => {
    const d = await attribute(
      [
        ['a', 0, 100],
        ['c', 101, 1900],
      ],
      1100,
      900,
    );
    expect(d).toMatchObject({ confidence: 'exact', chosen: 'c', candidates: null });
  });

  it('is ambiguous for a shared live lease, naming every live visit', async () => {
    const d = await attribute(
      [
        ['a', 0, 600],
        ['b', 10, 610, true],
      ],
      300,
    );
    expect(d.confidence).toBe('ambiguous');
    expect([...(d.candidates ?? [])].sort()).toEqual(['a', 'b']);
    expect(d.chosen).toBe('a');
  });

  it('picks the visit whose shared lease began last when every live lease is shared', async () => {
    const d = await attribute(
      [
        ['a', 0, 600, true],
        ['b', 20, 590, true],
      ],
      300,
    );
    expect(d).toMatchObject({ confidence: 'ambiguous', chosen: 'b', candidates: ['a', 'b'] });
  });

  it('is expired after every lease ended, with candidates when several visits held it', async () => {
    const one = await attribute([['a', 0, 600]], 700);
    expect(one).toMatchObject({ confidence: 'expired', chosen: 'a', candidates: null });
    const two = await attribute(
      [
        ['a', 0, 600],
        ['b', 0, 650, true],
      ],
      700,
    );
    expect(two).toMatchObject({ confidence: 'expired', chosen: 'b', candidates: ['b', 'a'] });
  });

  it('is none when no lease was near the call', async () => {
    expect(await attribute([], 0)).toEqual({
      confidence: 'none',
      chosen: undefined,
      candidates: null,
      visitorId: null,
      source: null,
    });
    // A lease that began after the call, or ended before the grace period, is not near it.
    expect(await attribute([['a', 100, 600]], 50)).toMatchObject({ confidence: 'none' });
    expect(await attribute([['a', 0, 100]], 2000, 900)).toMatchObject({ confidence: 'none' });
  });
});
