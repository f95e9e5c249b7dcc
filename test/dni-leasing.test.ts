import request from 'supertest';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { createDniService } from '../src/numbers/dni.service';
import { createNumbersRepo } from '../src/numbers/numbers.repo';
import { createTestContext, type TestContext } from './support/context';
import { ManualClock } from './support/clock';
import { buildPool, buildTrackedCampaign } from './support/factories';

// Runs on PGlite by default and on PostgreSQL with DATABASE_URL (real concurrent connections).
const ORIGIN = 'https://www.example.com';
const GRACE_SECONDS = 900;
let t: TestContext;
const clock = new ManualClock('2026-06-01T15:00:00Z');

beforeAll(async () => {
  t = await createTestContext({
    twilio: true,
    env: { DNI_RATE_LIMIT_PER_MINUTE: '100000' },
    clock,
  });
});
afterAll(async () => {
  await t.ctx.dni.stop();
  await t.close();
});

const UA = 'Mozilla/5.0 (Windows NT 10.0) Chrome/120';

function visit(
  siteKey: string,
  body: Record<string, unknown> = {},
  origin: string | null = ORIGIN,
) {
  const req = request(t.app).post('/dni/v1/sessions');
  if (origin) req.set('Origin', origin);
  return req.send({ siteKey, landingUrl: `${ORIGIN}/`, userAgent: UA, ...body });
}

interface Answer {
  visitorId: string;
  sessionId: string;
  number: { e164: string };
  shared: boolean;
  expiresAt: string;
}

async function held(siteKey: string, visitorId?: string): Promise<Answer> {
  const res = await visit(siteKey, visitorId ? { visitorId } : {}).expect(200);
  return res.body as Answer;
}

const count = async (query: ReturnType<typeof sql>) =>
  (await t.ctx.database.rows<{ n: number }>(query))[0]?.n ?? -1;

/** The attribution a call to `e164` at the clock's time gets, from the lease history. */
async function attributionOf(e164: string, numbers: { id: string; e164: string }[]) {
  const number = numbers.find((n) => n.e164 === e164);
  if (!number) throw new Error(`not a pool number: ${e164}`);
  const at = clock.now();
  return t.ctx.numbers.callVisit(number.id, at, GRACE_SECONDS);
}

describe('leasing under exhaustion', () => {
  it('does not lease a number as exclusive while an overflowed visitor still holds it shared', async () => {
    const { site, numbers } = await buildTrackedCampaign(t.ctx, {
      poolSize: 1,
      origin: ORIGIN,
      campaign: { holdSeconds: 60 },
    });
    await t.ctx.dni.flushRenewals();
    const a = await held(site.siteKey); // exclusive until +60 s
    clock.advance(10_000);
    const b = await held(site.siteKey); // overflow: shares a's number until +70 s
    expect(b).toMatchObject({ shared: true, number: a.number });
    clock.advance(30_000);
    await held(site.siteKey, b.visitorId); // b renews: shown until +100 s
    await t.ctx.dni.flushRenewals();
    clock.advance(21_000); // +61 s: a's lease has ended, b's shared one has not
    const c = await held(site.siteKey);
    expect(c.number).toEqual(a.number);
    expect(c.shared).toBe(true);
    clock.advance(61_000); // +122 s: every lease (c's shared one ends at +121 s) has ended
    const d = await held(site.siteKey);
    expect(d.shared).toBe(false);
    // b calls after their window, from the page that still shows the number: not d's call.
    clock.advance(5_000);
    const decision = await attributionOf(d.number.e164, numbers);
    expect(decision.confidence).toBe('ambiguous');
    expect(decision.candidates).toEqual(
      expect.arrayContaining([a.sessionId, b.sessionId, c.sessionId, d.sessionId]),
    );
  });

  it('attributes no call silently to the wrong visitor in a replay with an undersized pool', async () => {
    // 30 visitors within ~3 minutes on a pool of 3 (a third of what they need), each staying
    // 30-150 s, renewing every 20 s, and calling the number their page shows 0-60 s after their
    // last page view.
    const poolSize = 3;
    const { site, numbers } = await buildTrackedCampaign(t.ctx, {
      poolSize,
      origin: ORIGIN,
      campaign: { holdSeconds: 60 },
    });
    let seed = 7;
    const rand = () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    type Ev = { at: number; run: () => Promise<void> };
    const start = clock.now().getTime();
    const events: Ev[] = [];
    const calls: { sessionId: string; e164: string; at: number }[] = [];
    for (let v = 0; v < 30; v++) {
      const arrive = start + Math.floor(rand() * 180_000);
      const stay = 30_000 + Math.floor(rand() * 120_000);
      const state: { visitorId?: string; sessionId?: string; e164?: string; last: number } = {
        last: arrive,
      };
      for (let at = arrive; at <= arrive + stay; at += 20_000) {
        events.push({
          at,
          run: async () => {
            const answer = await held(site.siteKey, state.visitorId);
            state.visitorId = answer.visitorId;
            state.sessionId = answer.sessionId;
            state.e164 = answer.number.e164;
            state.last = at;
          },
        });
      }
      const callAt = arrive + stay + Math.floor(rand() * 60_000);
      events.push({
        at: callAt,
        run: async () => {
          if (state.sessionId && state.e164)
            calls.push({ sessionId: state.sessionId, e164: state.e164, at: callAt });
        },
      });
    }
    events.sort((x, y) => x.at - y.at);
    const outcomes = { exact: 0, ambiguous: 0, expired: 0, none: 0, silentErrors: 0 };
    for (const ev of events) {
      clock.set(new Date(ev.at));
      await ev.run();
      if (calls.length === 0) continue;
      // Calls are judged at the moment they are placed, as the voice webhook would.
      const call = calls.pop();
      if (!call) continue;
      await t.ctx.dni.flushRenewals();
      const decision = await attributionOf(call.e164, numbers);
      outcomes[decision.confidence] += 1;
      const wrong = decision.sessionId !== call.sessionId;
      if (decision.confidence === 'exact' && wrong) outcomes.silentErrors += 1;
      if (decision.confidence === 'ambiguous') {
        expect(decision.candidates).toContain(call.sessionId);
      }
    }
    expect(outcomes.silentErrors).toBe(0);
    // The run really exhausted the pool: some calls could not be tied to one visit.
    expect(outcomes.ambiguous).toBeGreaterThan(0);
    const [pool] = await t.ctx.database.rows<{ n: number }>(
      sql`select count(*)::int as n from pool_exhaustion_events where campaign_id = ${numbers[0]?.campaignId}`,
    );
    expect(pool?.n).toBeGreaterThan(0);
  });

  it('says in the pool-health text that overflowed visitors shared a number, not that calls were ambiguous', async () => {
    const { site, campaign } = await buildTrackedCampaign(t.ctx, { poolSize: 1, origin: ORIGIN });
    await held(site.siteKey);
    await held(site.siteKey);
    const res = await request(t.app)
      .get(`/api/v1/campaigns/${campaign.id}/pool`)
      .set('Authorization', t.admin)
      .expect(200);
    expect(res.body.recommendation.reason).toMatch(/ran out 1 time\(s\)/);
    expect(res.body.recommendation.reason).not.toMatch(/calls were ambiguous/);
  });
});

describe('first visits, origins and input the database cannot store', () => {
  it('turns 10 parallel first visits with one visitorId into one session and one lease', async () => {
    const { site, campaign } = await buildTrackedCampaign(t.ctx, { poolSize: 5, origin: ORIGIN });
    const visitorId = 'GA1.1.555000111.1712345678';
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => visit(site.siteKey, { visitorId }).expect(200)),
    );
    expect(new Set(answers.map((a) => a.body.sessionId)).size).toBe(1);
    expect(new Set(answers.map((a) => a.body.number.e164)).size).toBe(1);
    await t.ctx.dni.flushRenewals();
    expect(
      await count(
        sql`select count(*)::int as n from visitor_sessions where campaign_id = ${campaign.id}`,
      ),
    ).toBe(1);
    expect(
      await count(
        sql`select count(*)::int as n from number_leases where campaign_id = ${campaign.id}`,
      ),
    ).toBe(1);
  });

  it.each([
    ['no Origin header', null, `${ORIGIN}/`],
    ['a landing page outside the allowed origins', ORIGIN, 'https://elsewhere.test/'],
  ])('gives %s the source number and leases nothing', async (_n, origin, landingUrl) => {
    const { site, campaign } = await buildTrackedCampaign(t.ctx, { poolSize: 2, origin: ORIGIN });
    const [source] = await buildPool(t.ctx, campaign.id, 1, { kind: 'source' });
    const res = await visit(site.siteKey, { landingUrl }, origin).expect(200);
    expect(res.body).toMatchObject({ sessionId: null, number: { e164: source?.e164 } });
    expect(
      await count(
        sql`select count(*)::int as n from visitor_sessions where campaign_id = ${campaign.id}`,
      ),
    ).toBe(0);
  });

  it.each([
    ['siteKey', { siteKey: 'site\u0000key' }],
    ['landingUrl', { landingUrl: `${ORIGIN}/\u0000` }],
    ['referrer', { referrer: 'https://ref.test/\u0000' }],
    ['userAgent', { userAgent: 'Mozilla\u0000' }],
    ['referrer', { referrer: 'https://ref.test/\ud800' }],
    ['userAgent', { userAgent: 'Mozilla \udc00 x' }],
    ['landingUrl', { landingUrl: `${ORIGIN}/?q=\udfff` }],
    ['visitorId', { visitorId: 'GA1.1.\ud83d' }],
  ])('answers a NUL byte or lone surrogate in %s with a 400 naming it', async (field, patch) => {
    const { site, campaign } = await buildTrackedCampaign(t.ctx, { poolSize: 1, origin: ORIGIN });
    const res = await visit(site.siteKey, patch).expect(400);
    expect(res.body.error.message).toContain(field);
    expect(
      await count(
        sql`select count(*)::int as n from visitor_sessions where campaign_id = ${campaign.id}`,
      ),
    ).toBe(0);
  });
});

describe('renewals answered from memory', () => {
  const leaseEnd = async (sessionId: string) => {
    const [row] = await t.ctx.database.rows<{ at: string | Date }>(
      sql`select max(expires_at) as at from number_leases where session_id = ${sessionId}`,
    );
    return new Date(row?.at ?? 0).getTime();
  };

  it('answers a renewal without a write and writes it with the next batch', async () => {
    const { site } = await buildTrackedCampaign(t.ctx, { poolSize: 1, origin: ORIGIN });
    // A node of its own, so no other test's flush timer writes its renewals meanwhile.
    const node = createDniService({
      repo: createNumbersRepo(t.ctx.database),
      campaigns: t.ctx.campaigns,
      clock,
      log: pino({ level: 'silent' }),
      renewals: { flushEveryMs: 3_600_000, reuseMarginMs: 10_000 },
    });
    const input = { siteKey: site.siteKey, landingUrl: `${ORIGIN}/`, userAgent: UA };
    const first = (await node.startSession(input, ORIGIN)).body;
    const sessionId = first.sessionId ?? '';
    clock.advance(60_000);
    const again = (await node.startSession({ ...input, visitorId: first.visitorId }, ORIGIN)).body;
    expect(again.sessionId).toBe(sessionId);
    expect(new Date(again.expiresAt ?? 0).getTime()).toBe(clock.now().getTime() + 1800_000);
    expect(node.unflushedRenewals()).toBe(1);
    expect(await leaseEnd(sessionId)).toBe(new Date(first.expiresAt ?? 0).getTime());
    await node.flushRenewals();
    expect(node.unflushedRenewals()).toBe(0);
    expect(await leaseEnd(sessionId)).toBe(new Date(again.expiresAt ?? 0).getTime());
    await node.stop();
  });

  it('never lets another visitor have a number whose renewal a dead node had not written', async () => {
    const { site, numbers } = await buildTrackedCampaign(t.ctx, {
      poolSize: 1,
      origin: ORIGIN,
      campaign: { holdSeconds: 60 },
    });
    // Node A: its own memory; its flush timer never fires before it dies.
    const nodeA = createDniService({
      repo: createNumbersRepo(t.ctx.database),
      campaigns: t.ctx.campaigns,
      clock,
      log: pino({ level: 'silent' }),
      renewals: { flushEveryMs: 3_600_000, reuseMarginMs: 10_000 },
    });
    const input = { siteKey: site.siteKey, landingUrl: `${ORIGIN}/`, userAgent: UA };
    const v = (await nodeA.startSession(input, ORIGIN)).body;
    const dbEnd = clock.now().getTime() + 60_000;
    clock.advance(45_000);
    // 15 s of the lease left in the database, more than the 10 s margin: answered from memory.
    const renewed = (await nodeA.startSession({ ...input, visitorId: v.visitorId }, ORIGIN)).body;
    expect(renewed.sessionId).toBe(v.sessionId);
    expect(nodeA.unflushedRenewals()).toBe(1);
    await nodeA.stop({ flush: false }); // the node dies before its flush
    // Until the lease the database shows ends, other nodes only share the number.
    clock.advance(14_000);
    const w = await held(site.siteKey);
    expect(w).toMatchObject({ shared: true, number: { e164: v.number?.e164 } });
    expect(await leaseEnd(v.sessionId ?? '')).toBe(dbEnd);
    // After every lease has ended the number is free again; v's later call is not silently
    // credited to the new holder.
    clock.advance(80_000);
    const y = await held(site.siteKey);
    expect(y.shared).toBe(false);
    clock.advance(1000);
    const decision = await attributionOf(y.number.e164, numbers);
    expect(decision.confidence).toBe('ambiguous');
    expect(decision.candidates).toEqual(expect.arrayContaining([v.sessionId, y.sessionId]));
  });
});

describe('the reuse margin', () => {
  it('renews through the database once the lease it shows has less than the margin left', async () => {
    const { site } = await buildTrackedCampaign(t.ctx, {
      poolSize: 1,
      origin: ORIGIN,
      campaign: { holdSeconds: 60 },
    });
    const node = createDniService({
      repo: createNumbersRepo(t.ctx.database),
      campaigns: t.ctx.campaigns,
      clock,
      log: pino({ level: 'silent' }),
      renewals: { flushEveryMs: 3_600_000, reuseMarginMs: 10_000 },
    });
    const input = { siteKey: site.siteKey, landingUrl: `${ORIGIN}/`, userAgent: UA };
    const v = (await node.startSession(input, ORIGIN)).body;
    clock.advance(52_000); // 8 s left in the database: inside the margin
    const renewed = (await node.startSession({ ...input, visitorId: v.visitorId }, ORIGIN)).body;
    expect(node.unflushedRenewals()).toBe(0);
    const [row] = await t.ctx.database.rows<{ at: string | Date }>(
      sql`select lease_expires_at as at from tracking_numbers where lease_session_id = ${v.sessionId}`,
    );
    expect(new Date(row?.at ?? 0).toISOString()).toBe(renewed.expiresAt);
    await node.stop();
  });
});

describe('the free-number pick', () => {
  it('reads the pick index, not the whole pool, with 5,000 numbers', async () => {
    const { campaign } = await buildTrackedCampaign(t.ctx, { poolSize: 1, origin: ORIGIN });
    await t.ctx.database.rows(sql`
      insert into tracking_numbers (campaign_id, e164, kind, lease_expires_at, last_leased_at)
      select ${campaign.id}::uuid, '+1999' || lpad(g::text, 7, '0'), 'pool',
             case when g % 3 = 0 then now() + interval '10 minutes'
                  else now() - g * interval '1 minute' end,
             now() - g * interval '1 minute'
      from generate_series(1, 5000) g`);
    await t.ctx.database.rows(sql`analyze tracking_numbers`);
    const plan = await t.ctx.database.rows<Record<string, string>>(sql`
      explain select x.id from tracking_numbers x
      where x.campaign_id = ${campaign.id}::uuid and x.kind = 'pool' and x.status = 'active'
        and (x.lease_expires_at is null or x.lease_expires_at <= now())
      order by x.lease_expires_at asc nulls first, x.last_leased_at asc nulls first, x.id
      limit 1 for update skip locked`);
    const text = plan.map((r) => Object.values(r).join(' ')).join('\n');
    expect(text).toContain('tracking_numbers_free_pick_idx');
    expect(text).not.toMatch(/Sort|Seq Scan/);
  });
});
