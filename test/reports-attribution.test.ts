import request from 'supertest';
import { deployMetadata } from '../src/salesforce/deploy';
import { createSalesforceClient } from '../src/salesforce/salesforce.client';
import { carrierFor } from './support/carrier';
import { ManualClock } from './support/clock';
import { createTestContext, type TestContext } from './support/context';
import { buildTrackedCampaign, TEST_ORIGIN, visitorHoldingNumber } from './support/factories';
import { startSalesforceStandin, type SalesforceStandin } from './support/salesforce-standin';
import type { CallOutcome } from '../src/demo/carrier/simulator';

const clock = new ManualClock('2026-06-01T15:00:00Z');
let t: TestContext;
let sf: SalesforceStandin;
let marketer: string;
let callerSeq = 0;
const newCaller = () => `+1206556${String(1000 + ++callerSeq).padStart(4, '0')}`;

beforeAll(async () => {
  sf = await startSalesforceStandin();
  await deployMetadata(
    createSalesforceClient({
      instanceUrl: sf.url,
      accessToken: 'initial-token',
      apiVersion: '60.0',
      timeoutMs: 5_000,
    }),
  );
  t = await createTestContext({
    twilio: true,
    clock,
    env: { ...sf.env, SF_SYNC_WINDOW_MS: '100', DNI_RATE_LIMIT_PER_MINUTE: '10000' },
  });
  marketer = `Bearer ${(await t.ctx.keys.createKey('marketer', 'report reader')).key}`;
});
afterAll(async () => {
  await t.close();
  await sf.close();
});

async function waitFor<T>(check: () => Promise<T | undefined>, what: string, ms = 20_000) {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const getCall = async (sid: string) =>
  (await request(t.app).get(`/api/v1/calls/${sid}`).set('Authorization', t.admin).expect(200)).body;

/** A visit from `source` on `path`, then a call from a new caller in `zip` with `outcome`. */
async function visitAndCall(
  siteKey: string,
  o: { source: string; path: string; zip: string; outcome: CallOutcome; from?: string },
) {
  const v = await visitorHoldingNumber(t.app, siteKey, {
    landingUrl: `${TEST_ORIGIN}${o.path}?utm_source=${o.source}&utm_medium=cpc&utm_term=boiler`,
  });
  clock.advance(60_000);
  const placed = await carrierFor(t.app, clock).placeCall({
    from: o.from ?? newCaller(),
    to: v.number.e164,
    outcome: o.outcome,
    fromZip: o.zip,
    ringSeconds: 5,
    talkSeconds: 200,
  });
  // Scored through the real queue (call.score), then handed to the Salesforce sync.
  return waitFor(async () => {
    const call = await getCall(placed.callSid);
    return call.score ? call : undefined;
  }, `a score for ${placed.callSid}`);
}

const report = (query: string, auth = marketer) =>
  request(t.app).get(`/api/v1/reports/attribution?${query}`).set('Authorization', auth);

interface ReportRow {
  key: string | null;
  calls: number;
  answered: number;
  qualified: number;
  firstTime: number;
  revenue: number;
  wonDeals: number;
}
const rowFor = (body: { rows: ReportRow[] }, key: string | null | undefined) =>
  body.rows.find((r) => r.key === key);

describe('GET /api/v1/reports/attribution', () => {
  it('counts calls, answers, qualified and first-time calls per group for a marketer', async () => {
    const { site, campaign } = await buildTrackedCampaign(t.ctx, {
      poolSize: 4,
      campaign: { fallbackNumber: '+14155550177' },
    });
    const repeatCaller = newCaller();
    const placed = [
      await visitAndCall(site.siteKey, {
        source: 'attr-google',
        path: '/boilers',
        zip: '98101',
        outcome: 'answered',
        from: repeatCaller,
      }),
      await visitAndCall(site.siteKey, {
        source: 'attr-google',
        path: '/boilers',
        zip: '98101',
        outcome: 'answered',
        from: repeatCaller,
      }),
      await visitAndCall(site.siteKey, {
        source: 'attr-google',
        path: '/repairs',
        zip: '60601',
        outcome: 'no-answer',
      }),
      await visitAndCall(site.siteKey, {
        source: 'attr-bing',
        path: '/repairs',
        zip: '60601',
        outcome: 'answered',
      }),
    ];
    const qualifiedSids = new Set(
      placed.filter((c) => c.score.qualified).map((c) => c.callSid as string),
    );
    const qualifiedOf = (pred: (c: (typeof placed)[number]) => boolean) =>
      placed.filter((c) => pred(c) && qualifiedSids.has(c.callSid)).length;
    // An answered 200 s call qualifies under the default rules; a missed one does not.
    expect(placed[0]?.score.qualified).toBe(true);
    expect(placed[2]?.score.qualified).toBe(false);

    clock.advance(60_000);
    const bySource = await report('groupBy=source').expect(200);
    expect(bySource.body.groupBy).toBe('source');
    expect(rowFor(bySource.body, 'attr-google')).toEqual({
      key: 'attr-google',
      calls: 3,
      answered: 2,
      qualified: qualifiedOf((c) => c.source === 'attr-google'),
      firstTime: 2,
      revenue: 0,
      wonDeals: 0,
    });
    expect(rowFor(bySource.body, 'attr-bing')).toMatchObject({
      calls: 1,
      answered: 1,
      firstTime: 1,
    });

    const byPage = await report('groupBy=landingPage').expect(200);
    expect(rowFor(byPage.body, '/boilers')).toMatchObject({ calls: 2, answered: 2 });
    expect(rowFor(byPage.body, '/repairs')).toMatchObject({ calls: 2, answered: 1 });

    const byState = await report('groupBy=state').expect(200);
    const states = placed.map((c) => c.caller.state as string);
    expect(states[0]).not.toBe(states[2]);
    expect(rowFor(byState.body, states[0])).toMatchObject({ calls: 2 });
    expect(rowFor(byState.body, states[2])).toMatchObject({ calls: 2, answered: 1 });

    const byCampaign = await report('groupBy=campaign').expect(200);
    expect(rowFor(byCampaign.body, campaign.id)).toMatchObject({
      calls: 4,
      answered: 3,
      qualified: qualifiedSids.size,
    });

    // A window that ends before the calls holds none of them.
    const before = await report(
      `groupBy=source&since=2026-05-01T00:00:00Z&until=2026-05-02T00:00:00Z`,
    ).expect(200);
    expect(rowFor(before.body, 'attr-google')).toBeUndefined();
  });

  it('shows the won revenue of a call once Salesforce reads back a closed deal', async () => {
    const { site } = await buildTrackedCampaign(t.ctx, {
      campaign: { fallbackNumber: '+14155550177' },
    });
    const call = await visitAndCall(site.siteKey, {
      source: 'attr-revenue',
      path: '/quote',
      zip: '98101',
      outcome: 'answered',
    });
    const synced = await waitFor(async () => {
      const c = await getCall(call.callSid);
      return c.salesforce?.state === 'synced' ? (c.salesforce as { whoId: string }) : undefined;
    }, 'the call to reach Salesforce');
    clock.advance(60_000);
    const before = await report('groupBy=source').expect(200);
    expect(rowFor(before.body, 'attr-revenue')).toMatchObject({ revenue: 0, wonDeals: 0 });

    const won = sf.insert('Opportunity', {
      Name: 'Boiler replacement',
      StageName: 'Closed Won',
      IsWon: true,
      IsClosed: true,
      Amount: 8400,
      CloseDate: '2026-06-10',
    });
    const lead = sf.all('Lead').find((l) => l.Id === synced.whoId);
    expect(lead).toBeDefined();
    Object.assign(lead ?? {}, { IsConverted: true, ConvertedOpportunityId: won.Id });
    await t.ctx.salesforce.readBack();

    const after = await report('groupBy=source').expect(200);
    expect(rowFor(after.body, 'attr-revenue')).toMatchObject({
      calls: 1,
      revenue: 8400,
      wonDeals: 1,
    });
    const byPage = await report('groupBy=landingPage').expect(200);
    expect(rowFor(byPage.body, '/quote')).toMatchObject({ revenue: 8400, wonDeals: 1 });
  });

  it.each([
    ['groupBy=country', 'groupBy'],
    ['', 'groupBy'],
    ['groupBy=source&since=yesterday', 'since'],
    ['groupBy=source&until=2026-13-45', 'until'],
    ['groupBy=source&since=2026-06-02T00:00:00Z&until=2026-06-01T00:00:00Z', 'since'],
  ])('answers 400 naming the field for %s', async (query, field) => {
    const res = await report(query).expect(400);
    expect(JSON.stringify(res.body.error)).toContain(field);
  });

  it('refuses a request without a key', async () => {
    await request(t.app).get('/api/v1/reports/attribution?groupBy=source').expect(401);
  });
});
