import { sql } from 'drizzle-orm';
import { createTestContext, TEST_ADMIN_KEY, type TestContext } from './support/context';
import { buildCampaign, buildPool, buildSite } from './support/factories';
import { startTestTwilio } from './support/twilio';
import { startLeadlineProcess, type LeadlineProcess } from './support/processes';
import type { TwilioStandin } from '../src/demo/twilio-rest/standin';

// Concurrency is a property of real PostgreSQL with several nodes; PGlite has one connection.
const onPostgres = process.env.DATABASE_URL ? describe : describe.skip;

const ORIGIN = 'https://www.example.com';
const RUN_MS = 20_000;
const CLIENTS_PER_NODE = 50;
const POOL = 20;

onPostgres('leasing with two Leadline processes on one PostgreSQL', () => {
  let t: TestContext;
  let standin: TwilioStandin;
  let nodes: LeadlineProcess[] = [];

  beforeAll(async () => {
    const tw = await startTestTwilio();
    standin = tw.standin;
    t = await createTestContext({ env: tw.env });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await t.close();
    await standin.close();
  });

  it('never lets two live leases hold one number', async () => {
    const site = await buildSite(t.ctx, { allowedOrigins: [ORIGIN] });
    // A 10 s hold (below the API's minimum of 60) so leases lapse and numbers churn within the run.
    const campaign = await buildCampaign(t.ctx, { siteId: site.id, holdSeconds: 10 });
    await buildPool(t.ctx, campaign.id, POOL);
    const env = {
      DATABASE_URL: t.databaseUrl ?? '',
      LEADLINE_ADMIN_KEY: TEST_ADMIN_KEY,
      DNI_RATE_LIMIT_PER_MINUTE: '1000000',
    };
    nodes = await Promise.all([startLeadlineProcess(env), startLeadlineProcess(env)]);

    const stopAt = Date.now() + RUN_MS;
    const statuses = new Map<number, number>();
    let seq = 0;
    async function client(base: string) {
      while (Date.now() < stopAt) {
        const visitorId = `load-visitor-${++seq}-${Math.random().toString(36).slice(2, 8)}`;
        // Each visitor makes a few page views, so renewals race new leases too.
        const views = 1 + Math.floor(Math.random() * 3);
        for (let v = 0; v < views && Date.now() < stopAt; v++) {
          const res = await fetch(`${base}/dni/v1/sessions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', origin: ORIGIN },
            body: JSON.stringify({ siteKey: site.siteKey, visitorId, landingUrl: `${ORIGIN}/` }),
          });
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          await new Promise((r) => setTimeout(r, Math.random() * 400));
        }
      }
    }
    await Promise.all(
      nodes.flatMap((n) => Array.from({ length: CLIENTS_PER_NODE }, () => client(n.baseUrl))),
    );

    expect([...statuses.keys()]).toEqual([200]);
    const [overlaps] = await t.ctx.database.rows<{ n: number }>(sql`
      select count(*)::int as n
      from number_leases a join number_leases b
        on a.number_id = b.number_id and a.id < b.id
      where not a.shared and not b.shared
        and tstzrange(a.started_at, a.expires_at) && tstzrange(b.started_at, b.expires_at)`);
    expect(overlaps?.n).toBe(0);
    // Nor is a number leased as exclusive while a visitor who overflowed onto it still holds it.
    // Requests carry their node's time, taken before their statement runs, so a visitor who
    // overflows onto a number at the very moment someone leases it may start a few milliseconds
    // "before" that lease: sharing with it, which attribution flags as ambiguous. A lease started
    // more than a second into a live shared one is the defect.
    const overShared = await t.ctx.database.rows<Record<string, unknown>>(sql`
      select e.number_id, e.started_at as e_start, s.started_at as s_start, s.expires_at as s_end
      from number_leases e join number_leases s on e.number_id = s.number_id
      where not e.shared and s.shared and e.session_id <> s.session_id
        and e.started_at > s.started_at + interval '1 second' and e.started_at < s.expires_at`);
    expect(overShared).toEqual([]);
    const [stats] = await t.ctx.database.rows<{
      exclusive: number;
      shared: number;
      numbers: number;
    }>(sql`
      select count(*) filter (where not shared)::int as exclusive,
             count(*) filter (where shared)::int as shared,
             count(distinct number_id)::int as numbers
      from number_leases where campaign_id = ${campaign.id}`);
    // The run must really have used the whole pool and overflowed. (Under overflow this sustained,
    // a shared number stays busy while visitors keep sharing it, so it is not leased again as
    // exclusive until the overflow stops: exclusive leases are about one per number here.)
    expect(stats?.numbers).toBe(POOL);
    expect(stats?.exclusive).toBeGreaterThanOrEqual(POOL);
    expect(stats?.shared).toBeGreaterThan(0);
    // Each number's current holder on the row matches its latest exclusive lease in the history.
    const mismatched = await t.ctx.database.rows<{ id: string }>(sql`
      select t.id from tracking_numbers t
      where t.campaign_id = ${campaign.id} and t.lease_session_id is not null
        and t.lease_session_id <> (select session_id from number_leases l
                                   where l.number_id = t.id and not l.shared
                                   order by l.id desc limit 1)`);
    expect(mismatched).toEqual([]);
  }, 120_000);

  it('turns 10 parallel first visits with one visitorId, split across both nodes, into one session and one lease', async () => {
    const site = await buildSite(t.ctx, { allowedOrigins: [ORIGIN] });
    const campaign = await buildCampaign(t.ctx, { siteId: site.id });
    await buildPool(t.ctx, campaign.id, 5);
    const visitorId = 'GA1.1.987654321.1712345678';
    const answers = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const base = nodes[i % nodes.length]?.baseUrl ?? '';
        const res = await fetch(`${base}/dni/v1/sessions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: ORIGIN },
          body: JSON.stringify({ siteKey: site.siteKey, visitorId, landingUrl: `${ORIGIN}/` }),
        });
        expect(res.status).toBe(200);
        return (await res.json()) as { sessionId: string };
      }),
    );
    expect(new Set(answers.map((a) => a.sessionId)).size).toBe(1);
    const [rows] = await t.ctx.database.rows<{ sessions: number; leases: number }>(sql`
      select (select count(*)::int from visitor_sessions where campaign_id = ${campaign.id}) as sessions,
             (select count(*)::int from number_leases where campaign_id = ${campaign.id}) as leases`);
    expect(rows).toEqual({ sessions: 1, leases: 1 });
  }, 60_000);
});
