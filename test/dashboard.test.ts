import request from 'supertest';
import { carrierFor } from './support/carrier';
import { ManualClock } from './support/clock';
import { createTestContext, type TestContext } from './support/context';
import { buildTrackedCampaign, TEST_ORIGIN, visitorHoldingNumber } from './support/factories';
import type { CallOutcome } from '../src/demo/carrier/simulator';
import type { CallRow } from '../src/calls/calls.repo';
import { createCallSummaryReport, SUMMARY_MAX_CALLS } from '../src/reports/call-summary.report';

const clock = new ManualClock('2026-06-03T15:00:00Z');
let t: TestContext;
let marketer: string;

beforeAll(async () => {
  t = await createTestContext({
    twilio: true,
    clock,
    env: { DNI_RATE_LIMIT_PER_MINUTE: '10000' },
  });
  marketer = `Bearer ${(await t.ctx.keys.createKey('marketer', 'dashboard reader')).key}`;
});
afterAll(() => t.close());

async function waitFor<T>(check: () => Promise<T | undefined>, what: string, ms = 20_000) {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface ApiCall {
  callSid: string;
  outcome: string;
  talkSeconds: number | null;
  firstTime: boolean;
  score: { qualified: boolean } | null;
}

/** A visit, then at `at` a call to the number it holds, played to the end and scored. */
async function callAt(
  siteKey: string,
  at: string,
  o: { from: string; outcome: CallOutcome; talkSeconds?: number },
): Promise<ApiCall> {
  clock.set(new Date(new Date(at).getTime() - 60_000));
  const visit = await visitorHoldingNumber(t.app, siteKey, {
    landingUrl: `${TEST_ORIGIN}/boilers?utm_source=dash-google&utm_medium=cpc`,
  });
  clock.set(at);
  const placed = await carrierFor(t.app, clock).placeCall({
    from: o.from,
    to: visit.number.e164,
    outcome: o.outcome,
    ringSeconds: 5,
    talkSeconds: o.talkSeconds ?? 0,
  });
  return waitFor(async () => {
    const res = await request(t.app)
      .get(`/api/v1/calls/${placed.callSid}`)
      .set('Authorization', t.admin)
      .expect(200);
    return res.body.score ? (res.body as ApiCall) : undefined;
  }, `a score for ${placed.callSid}`);
}

const summary = (query: string, auth = marketer) =>
  request(t.app).get(`/api/v1/reports/summary?${query}`).set('Authorization', auth);

describe('GET /api/v1/reports/summary', () => {
  it('totals the window’s calls and counts them per day in the asked time zone', async () => {
    const { site } = await buildTrackedCampaign(t.ctx, { poolSize: 4 });
    // Before the window: not counted.
    await callAt(site.siteKey, '2026-05-30T12:00:00Z', {
      from: '+12065550101',
      outcome: 'answered',
      talkSeconds: 300,
    });
    // 23:30 on May 31 in Chicago (CDT, UTC-5), already June 1 in UTC.
    const late = await callAt(site.siteKey, '2026-06-01T04:30:00Z', {
      from: '+12065550102',
      outcome: 'answered',
      talkSeconds: 200,
    });
    const short = await callAt(site.siteKey, '2026-06-01T15:00:00Z', {
      from: '+12065550103',
      outcome: 'answered',
      talkSeconds: 40,
    });
    const repeat = await callAt(site.siteKey, '2026-06-01T18:00:00Z', {
      from: '+12065550103',
      outcome: 'answered',
      talkSeconds: 120,
    });
    const missed = await callAt(site.siteKey, '2026-06-02T15:00:00Z', {
      from: '+12065550104',
      outcome: 'no-answer',
    });
    clock.set('2026-06-03T15:00:00Z');
    const inWindow = [late, short, repeat, missed];
    const qualified = (calls: ApiCall[]) => calls.filter((c) => c.score?.qualified).length;
    expect(repeat.firstTime).toBe(false);
    expect(late.score?.qualified).toBe(true);
    expect(missed.score?.qualified).toBe(false);
    const talks = [late, short, repeat].map((c) => c.talkSeconds ?? -1).sort((a, b) => a - b);
    expect(talks).toEqual([40, 120, 200]);

    const since = '2026-05-31T05:00:00.000Z'; // midnight in Chicago
    const until = '2026-06-03T05:00:00.000Z';
    const chicago = await summary(
      `since=${since}&until=${until}&timeZone=${encodeURIComponent('America/Chicago')}`,
    ).expect(200);
    expect(chicago.body).toMatchObject({
      since,
      until,
      timeZone: 'America/Chicago',
      complete: true,
      totals: {
        calls: 4,
        answered: 3,
        qualified: qualified(inWindow),
        firstTime: 3,
        medianTalkSeconds: 120,
      },
    });
    expect(chicago.body.days).toEqual([
      { date: '2026-05-31', calls: 1, answered: 1, qualified: qualified([late]) },
      { date: '2026-06-01', calls: 2, answered: 2, qualified: qualified([short, repeat]) },
      { date: '2026-06-02', calls: 1, answered: 0, qualified: 0 },
    ]);

    // The same window in UTC days: the late call moves to June 1, and June 3 starts before until.
    const utc = await summary(`since=${since}&until=${until}`).expect(200);
    expect(utc.body.totals).toEqual(chicago.body.totals);
    expect(utc.body.days.map((d: { date: string; calls: number }) => [d.date, d.calls])).toEqual([
      ['2026-05-31', 0],
      ['2026-06-01', 3],
      ['2026-06-02', 1],
      ['2026-06-03', 0],
    ]);

    // Without a window: the last 7 days up to the clock's now.
    const recent = await summary('').expect(200);
    expect(recent.body.until).toBe('2026-06-03T15:00:00.000Z');
    expect(recent.body.since).toBe('2026-05-27T15:00:00.000Z');
    expect(recent.body.totals.calls).toBe(5);
    expect(recent.body.days).toHaveLength(8);
  }, 60_000);

  it('gives zero totals and no median for a window without calls', async () => {
    const res = await summary(
      'since=2025-01-01T00:00:00Z&until=2025-01-03T00:00:00Z&timeZone=UTC',
    ).expect(200);
    expect(res.body.totals).toEqual({
      calls: 0,
      answered: 0,
      qualified: 0,
      firstTime: 0,
      medianTalkSeconds: null,
    });
    expect(res.body.days).toEqual([
      { date: '2025-01-01', calls: 0, answered: 0, qualified: 0 },
      { date: '2025-01-02', calls: 0, answered: 0, qualified: 0 },
    ]);
  });

  it('refuses an unknown time zone, a window over 366 days and dates out of order, naming the field', async () => {
    const zone = await summary('timeZone=Mars/Olympus').expect(400);
    expect(zone.body.error.details).toEqual([expect.objectContaining({ field: 'timeZone' })]);
    const long = await summary('since=2024-01-01T00:00:00Z&until=2025-06-01T00:00:00Z').expect(400);
    expect(long.body.error.details).toEqual([expect.objectContaining({ field: 'since' })]);
    const order = await summary('since=2025-06-02T00:00:00Z&until=2025-06-01T00:00:00Z').expect(
      400,
    );
    expect(order.body.error.details).toEqual([expect.objectContaining({ field: 'since' })]);
    const far = await summary('until=%2B275760-01-01T00:00:00Z').expect(400);
    expect(far.body.error.details).toEqual([expect.objectContaining({ field: 'until' })]);
    await summary('groupBy=day').expect(400);
  });
});

describe('the reads the dashboard makes', () => {
  const reads = [
    '/api/v1/reports/summary',
    '/api/v1/reports/attribution?groupBy=campaign',
    '/api/v1/reports/follow-ups',
    '/api/v1/calls?limit=25',
    '/api/v1/campaigns',
  ];

  it.each(reads)('%s answers a read-only (marketer) key', async (path) => {
    await request(t.app).get(path).set('Authorization', marketer).expect(200);
  });

  it.each(reads)('%s refuses no key and a revoked key with 401', async (path) => {
    const none = await request(t.app).get(path).expect(401);
    expect(none.body.error.code).toBe('unauthorized');
    const key = await t.ctx.keys.createKey('marketer', 'revoked reader');
    await t.ctx.keys.revoke(key.id);
    await request(t.app).get(path).set('Authorization', `Bearer ${key.key}`).expect(401);
  });
});

describe('createCallSummaryReport', () => {
  it('stops at SUMMARY_MAX_CALLS and says the figures are incomplete', async () => {
    const startedAt = new Date('2026-06-01T12:00:00Z');
    const row = (i: number) => ({
      call: {
        callSid: `CA${String(i).padStart(32, '0')}`,
        startedAt,
        outcome: 'answered',
        talkSeconds: 60,
        firstTime: true,
      } as CallRow,
      score: null,
    });
    let served = 0;
    const report = createCallSummaryReport({
      clock,
      calls: {
        // Always a full page: without the cap this would never end.
        async listScored(filter) {
          const rows = Array.from({ length: filter.limit }, () => row(served++));
          return { rows };
        },
      },
    });
    const res = await report.summarize(
      { since: new Date('2026-06-01T00:00:00Z'), until: new Date('2026-06-02T00:00:00Z') },
      'UTC',
    );
    expect(res.complete).toBe(false);
    expect(res.totals.calls).toBe(SUMMARY_MAX_CALLS);
    expect(res.days).toEqual([
      { date: '2026-06-01', calls: SUMMARY_MAX_CALLS, answered: SUMMARY_MAX_CALLS, qualified: 0 },
    ]);
  });
});

describe('GET /dashboard', () => {
  it('serves the page with a strict Content-Security-Policy and no data in it', async () => {
    const { campaign } = await buildTrackedCampaign(t.ctx, {
      campaign: { name: 'Dashboard page secret campaign' },
    });
    const res = await request(t.app).get('/dashboard').expect(200);
    expect(res.type).toBe('text/html');
    const csp = res.headers['content-security-policy'] ?? '';
    const directives = Object.fromEntries(
      csp.split(';').map((d: string) => {
        const [name = '', ...values] = d.trim().split(/\s+/);
        return [name, values.join(' ')];
      }),
    );
    expect(directives).toEqual({
      'default-src': "'none'",
      'script-src': "'self'",
      'style-src': "'self'",
      'img-src': "'self' data:",
      'connect-src': "'self'",
      'base-uri': "'none'",
      'form-action': "'none'",
      'frame-ancestors': "'none'",
      'object-src': "'none'",
    });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toBe('no-cache');
    // Only the page's own files, no inline script or style, nothing from the database.
    expect(res.text).not.toMatch(/<script>|<script [^>]*>[^<]|<style|\sstyle=|\son\w+=/i);
    expect([...res.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1])).toEqual([
      '/dashboard/dashboard.css',
      '/dashboard/dashboard.js',
    ]);
    expect(res.text).not.toContain(campaign.name);
    expect(res.text).not.toContain(campaign.id);
    await request(t.app).get('/dashboard/').expect(200);
  });

  it('serves its script and stylesheet under the same policy, and nothing else under /dashboard', async () => {
    const js = await request(t.app).get('/dashboard/dashboard.js').expect(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['content-security-policy']).toContain("default-src 'none'");
    expect(js.text).toContain("'Bearer ' + apiKey");
    expect(js.text).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    const css = await request(t.app).get('/dashboard/dashboard.css').expect(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    await request(t.app).get('/dashboard/dashboard.client.js').expect(404);
    await request(t.app).get('/dashboard/../package.json').expect(404);
  });
});
