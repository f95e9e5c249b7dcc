import request from 'supertest';
import { sql } from 'drizzle-orm';
import { createTestContext, type TestContext } from './support/context';
import { ManualClock } from './support/clock';
import { buildCampaign, buildPool, buildSite, buildTrackedCampaign } from './support/factories';

const ORIGIN = 'https://www.example.com';
let t: TestContext;
const clock = new ManualClock('2026-06-01T15:00:00Z');

beforeAll(async () => {
  t = await createTestContext({ twilio: true, env: { DNI_RATE_LIMIT_PER_MINUTE: '1000' }, clock });
});
afterAll(() => t.close());

const setup = (poolSize: number, holdSeconds = 1800) =>
  buildTrackedCampaign(t.ctx, { poolSize, origin: ORIGIN, campaign: { holdSeconds } });

function visit(siteKey: string, body: Record<string, unknown> = {}) {
  return request(t.app)
    .post('/dni/v1/sessions')
    .set('Origin', ORIGIN)
    .send({
      siteKey,
      landingUrl: `${ORIGIN}/`,
      referrer: '',
      userAgent: 'Mozilla/5.0 (Windows NT 10.0) Chrome/120',
      ...body,
    });
}

const count = async (table: string) =>
  (await t.ctx.database.rows<{ n: number }>(sql.raw(`select count(*)::int as n from ${table}`)))[0]
    ?.n;

describe('POST /dni/v1/sessions', () => {
  it('leases a pool number to a new visitor and answers the contract shape', async () => {
    const { site, campaign, numbers } = await setup(3);
    const res = await visit(site.siteKey).expect(200);
    expect(res.body).toMatchObject({
      campaignId: campaign.id,
      shared: false,
      swapTargets: ['+14155550100'],
    });
    expect(res.body.visitorId).toMatch(/^v_/);
    expect(res.body.sessionId).toEqual(expect.any(String));
    expect(numbers.map((n) => n.e164)).toContain(res.body.number.e164);
    expect(res.body.number.national).toMatch(/^\(\d{3}\) \d{3}-\d{4}$/);
    expect(new Date(res.body.expiresAt).getTime()).toBe(clock.now().getTime() + 1800_000);
    expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
  });

  it("stores where the visitor's IP address is, rounded to ~10 km, and never the address", async () => {
    const { site } = await setup(3);
    // The test client is on loopback, the proxy TRUST_PROXY trusts by default.
    const res = await visit(site.siteKey).set('X-Forwarded-For', '81.2.69.160').expect(200);
    const [row] = await t.ctx.database.rows<Record<string, unknown>>(
      sql`select * from visitor_sessions where id = ${res.body.sessionId}::uuid`,
    );
    expect(row).toMatchObject({ ip_country: 'GB', ip_city: expect.any(String) });
    const lat = Number(row?.ip_lat);
    const lon = Number(row?.ip_lon);
    expect(lat).toBeCloseTo(51.4, 0);
    expect(Math.round(lat * 10) / 10).toBe(lat);
    expect(Math.round(lon * 10) / 10).toBe(lon);
    expect(JSON.stringify(row)).not.toContain('81.2.69.160');

    // A private address has no place: nothing is stored, and the lease is unaffected.
    const local = await visit(site.siteKey).set('X-Forwarded-For', '10.1.2.3').expect(200);
    const [none] = await t.ctx.database.rows<Record<string, unknown>>(
      sql`select ip_city, ip_country, ip_lat from visitor_sessions where id = ${local.body.sessionId}::uuid`,
    );
    expect(none).toEqual({ ip_city: null, ip_country: null, ip_lat: null });
  });

  it('renews the same lease for a repeat request with the same visitorId', async () => {
    const { site } = await setup(3);
    const first = await visit(site.siteKey).expect(200);
    clock.advance(10 * 60_000);
    const again = await visit(site.siteKey, { visitorId: first.body.visitorId }).expect(200);
    expect(again.body.sessionId).toBe(first.body.sessionId);
    expect(again.body.number.e164).toBe(first.body.number.e164);
    expect(new Date(again.body.expiresAt).getTime()).toBe(clock.now().getTime() + 1800_000);
  });

  it('hands out the number idle longest (LRU), so reuse is as far apart as possible', async () => {
    const { site } = await setup(3, 60);
    const a = await visit(site.siteKey);
    const b = await visit(site.siteKey);
    const c = await visit(site.siteKey);
    const order = [a, b, c].map((r) => r.body.number.e164);
    expect(new Set(order).size).toBe(3);
    // All three leases lapse; b's visitor comes back first and keeps b's number (renewal).
    clock.advance(61_000);
    // New visitors get the numbers in the order they were freed: a's, then c's.
    const d = await visit(site.siteKey);
    expect(d.body.number.e164).toBe(order[0]);
    const e = await visit(site.siteKey);
    expect(e.body.number.e164).toBe(order[1]);
    const f = await visit(site.siteKey);
    expect(f.body.number.e164).toBe(order[2]);
  });

  it('frees a number once the hold window has passed with no activity', async () => {
    const { site } = await setup(1, 300);
    const first = await visit(site.siteKey).expect(200);
    clock.advance(299_000);
    const blocked = await visit(site.siteKey).expect(200);
    expect(blocked.body.shared).toBe(true);
    clock.advance(301_000);
    const second = await visit(site.siteKey).expect(200);
    expect(second.body.shared).toBe(false);
    expect(second.body.number.e164).toBe(first.body.number.e164);
    // The first visitor, back after the hold, does not get the number someone else holds now.
    const back = await visit(site.siteKey, { visitorId: first.body.visitorId }).expect(200);
    expect(back.body.shared).toBe(true);
  });

  it('shares the least-recently-assigned number when the pool is exhausted, and records it', async () => {
    const { site, campaign } = await setup(2);
    const a = await visit(site.siteKey);
    clock.advance(1000);
    const b = await visit(site.siteKey);
    clock.advance(1000);
    const over = await visit(site.siteKey).expect(200);
    expect(over.body.shared).toBe(true);
    expect(over.body.number.e164).toBe(a.body.number.e164);
    clock.advance(1000);
    const over2 = await visit(site.siteKey).expect(200);
    expect(over2.body.number.e164).toBe(b.body.number.e164);
    const pool = await request(t.app)
      .get(`/api/v1/campaigns/${campaign.id}/pool`)
      .set('Authorization', t.admin)
      .expect(200);
    expect(pool.body).toMatchObject({ size: 2, leasedNow: 2, utilization: 1 });
    expect(pool.body.exhaustionEvents.last7d).toBe(2);
    expect(pool.body.peakConcurrent7d).toBe(4);
    expect(pool.body.recommendedSize).toBe(Math.ceil(4 * 1.2) + 1);
    expect(pool.body.recommendation.action).toBe('add');
    expect(pool.body.recommendation.reason).toMatch(/peak of 4 concurrent/);
  });

  it('keeps the lease history that attribution joins on', async () => {
    const { site, numbers } = await setup(1, 60);
    const a = await visit(site.siteKey);
    clock.advance(61_000);
    const b = await visit(site.siteKey);
    const history = await t.ctx.database.rows<{ session_id: string }>(
      sql`select session_id from number_leases where number_id = ${numbers[0]?.id} order by started_at`,
    );
    expect(history.map((h) => h.session_id)).toEqual([a.body.sessionId, b.body.sessionId]);
  });

  it('gives a Do-Not-Track visitor the source number with no visitor id and no lease', async () => {
    const { site, campaign } = await setup(2);
    const [source] = await buildPool(t.ctx, campaign.id, 1, { kind: 'source' });
    const before = await count('number_leases');
    const res = await visit(site.siteKey, { anonymous: true }).expect(200);
    expect(res.body).toMatchObject({
      visitorId: null,
      sessionId: null,
      number: { e164: source?.e164 },
    });
    expect(await count('number_leases')).toBe(before);
  });

  it('does not lease pool numbers to bots', async () => {
    const { site } = await setup(1);
    const res = await visit(site.siteKey, {
      userAgent: 'Mozilla/5.0 (compatible; Googlebot/2.1)',
    }).expect(200);
    expect(res.body.sessionId).toBeNull();
    const human = await visit(site.siteKey).expect(200);
    expect(human.body.shared).toBe(false);
  });

  it('gives headless and automation browsers the source number, with no lease', async () => {
    const { site, campaign } = await setup(2);
    const [source] = await buildPool(t.ctx, campaign.id, 1, { kind: 'source' });
    const before = await count('number_leases');
    for (const userAgent of [
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36',
      'Mozilla/5.0 (X11; Linux x86_64) Chrome/120 Puppeteer',
      'python-requests/2.31',
    ]) {
      const res = await visit(site.siteKey, { userAgent }).expect(200);
      expect(res.body).toMatchObject({ sessionId: null, number: { e164: source?.e164 } });
    }
    expect(await count('number_leases')).toBe(before);
  });

  it('leases a number to a bot the site vouches for in its botAllowList', async () => {
    const { site } = await buildTrackedCampaign(t.ctx, {
      poolSize: 2,
      origin: ORIGIN,
      site: { botAllowList: ['AcmeUptimeCheck'] },
    });
    const vouched = await visit(site.siteKey, {
      userAgent: 'Mozilla/5.0 (compatible; AcmeUptimeCheck/1.0; +https://acme.test/bot)',
    }).expect(200);
    expect(vouched.body).toMatchObject({ shared: false, sessionId: expect.any(String) });
    const other = await visit(site.siteKey, {
      userAgent: 'Mozilla/5.0 (compatible; Googlebot/2.1)',
    }).expect(200);
    expect(other.body.sessionId).toBeNull();
  });

  it('keeps a first-party visitor id such as a Google Analytics client id', async () => {
    const { site } = await setup(2);
    const visitorId = 'GA1.1.1234567890.1712345678';
    const first = await visit(site.siteKey, { visitorId }).expect(200);
    expect(first.body.visitorId).toBe(visitorId);
    const again = await visit(site.siteKey, { visitorId }).expect(200);
    expect(again.body.sessionId).toBe(first.body.sessionId);
  });

  it('answers a preflight from any origin, reflecting it, for POST with Content-Type', async () => {
    const res = await request(t.app)
      .options('/dni/v1/sessions')
      .set('Origin', 'https://shop.example.org')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type')
      .expect(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://shop.example.org');
    expect(res.headers['access-control-allow-methods']).toBe('POST');
    expect(res.headers['access-control-allow-headers']).toBe('Content-Type');
    expect(res.headers.vary).toMatch(/Origin/);
  });

  it('accepts a text/plain beacon body', async () => {
    const { site } = await setup(1);
    const res = await request(t.app)
      .post('/dni/v1/sessions')
      .set('Origin', ORIGIN)
      .set('Content-Type', 'text/plain;charset=UTF-8')
      .send(JSON.stringify({ siteKey: site.siteKey, landingUrl: `${ORIGIN}/x` }))
      .expect(200);
    expect(res.body.number.e164).toMatch(/^\+1/);
  });

  describe('campaign matching through the endpoint', () => {
    it('applies landing param > UTM > referrer > default', async () => {
      const site = await buildSite(t.ctx, { allowedOrigins: [ORIGIN] });
      const byId: Record<string, string> = {};
      for (const [name, match] of [
        ['default', {}],
        ['utm', { utmSource: 'google', utmMedium: 'cpc' }],
        ['ref', { referrerDomain: 'yelp.com' }],
        ['landing', { landingParam: 'promo=tv' }],
      ] as const) {
        const c = await buildCampaign(t.ctx, { siteId: site.id, name, match });
        await buildPool(t.ctx, c.id, 1);
        byId[c.id] = name;
      }
      const hit = async (url: string, ref = '') =>
        byId[(await visit(site.siteKey, { landingUrl: url, referrer: ref })).body.campaignId];
      expect(
        await hit(`${ORIGIN}/?promo=tv&utm_source=google&utm_medium=cpc`, 'https://yelp.com/'),
      ).toBe('landing');
      expect(await hit(`${ORIGIN}/?utm_source=google&utm_medium=cpc`, 'https://yelp.com/')).toBe(
        'utm',
      );
      expect(await hit(`${ORIGIN}/`, 'https://www.yelp.com/biz')).toBe('ref');
      expect(await hit(`${ORIGIN}/`)).toBe('default');
    });

    it('stores UTM tags, click ids and device on the session', async () => {
      const { site } = await setup(1);
      const res = await visit(site.siteKey, {
        landingUrl: `${ORIGIN}/drains?utm_source=google&utm_medium=cpc&utm_campaign=spring&utm_term=drain&gclid=G1`,
        userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile/15E148',
      }).expect(200);
      const [row] = await t.ctx.database.rows<Record<string, string>>(
        sql`select source, medium, utm_campaign, utm_term, gclid, device, landing_path from visitor_sessions where id = ${res.body.sessionId}`,
      );
      expect(row).toEqual({
        source: 'google',
        medium: 'cpc',
        utm_campaign: 'spring',
        utm_term: 'drain',
        gclid: 'G1',
        device: 'mobile',
        landing_path: '/drains',
      });
    });
  });

  describe('bad input', () => {
    it('answers 404 for an unknown siteKey and writes nothing', async () => {
      const before = await count('visitor_sessions');
      const res = await visit('site_nope').expect(404);
      expect(res.body.error.code).toBe('site_not_found');
      expect(await count('visitor_sessions')).toBe(before);
    });

    it('refuses an origin the site does not allow and writes nothing', async () => {
      const { site } = await setup(1);
      const before = await count('visitor_sessions');
      const res = await request(t.app)
        .post('/dni/v1/sessions')
        .set('Origin', 'https://evil.test')
        .send({ siteKey: site.siteKey, landingUrl: 'https://evil.test/' })
        .expect(403);
      expect(res.body.error.code).toBe('origin_not_allowed');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(await count('visitor_sessions')).toBe(before);
    });

    it.each([
      ['missing landingUrl', { landingUrl: undefined }, 'landingUrl'],
      ['javascript: landing URL', { landingUrl: 'javascript:alert(1)' }, 'landingUrl'],
      ['visitorId with bad characters', { visitorId: "'; drop table x; --" }, 'visitorId'],
      ['siteKey a number', { siteKey: 7 }, 'siteKey'],
      ['visitorId with a quote', { visitorId: 'GA1.1.123456"onload' }, 'visitorId'],
      ['visitorId with angle brackets', { visitorId: 'GA1.1.<script>' }, 'visitorId'],
      ['visitorId with a space', { visitorId: 'GA1.1.1234 5678' }, 'visitorId'],
      ['visitorId with a control character', { visitorId: 'GA1.1.1234\u00005678' }, 'visitorId'],
      ['visitorId over 100 characters', { visitorId: 'a'.repeat(101) }, 'visitorId'],
    ])('%s is a 400 naming the field', async (_n, patch, field) => {
      const { site } = await setup(1);
      const before = await count('visitor_sessions');
      const res = await visit(site.siteKey, patch).expect(400);
      expect(res.body.error.message).toContain(field);
      expect(await count('visitor_sessions')).toBe(before);
    });

    it('answers malformed JSON with 400', async () => {
      const res = await request(t.app)
        .post('/dni/v1/sessions')
        .set('Content-Type', 'text/plain')
        .send('{"siteKey":')
        .expect(400);
      expect(res.body.error.code).toBe('malformed_json');
    });
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After once an IP passes the per-minute limit', async () => {
    const limited = await createTestContext({
      twilio: true,
      env: { DNI_RATE_LIMIT_PER_MINUTE: '3' },
    });
    try {
      const site = await buildSite(limited.ctx, { allowedOrigins: [ORIGIN] });
      const statuses = [];
      for (let i = 0; i < 5; i++) {
        const r = await request(limited.app)
          .post('/dni/v1/sessions')
          .send({ siteKey: site.siteKey, landingUrl: `${ORIGIN}/` });
        statuses.push(r.status);
        if (r.status === 429) expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
      }
      expect(statuses).toEqual([404, 404, 404, 429, 429]);
    } finally {
      await limited.close();
    }
  });
});
