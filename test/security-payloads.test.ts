import request from 'supertest';
import { sql } from 'drizzle-orm';
import { createTestContext, type TestContext } from './support/context';
import { buildTrackedCampaign } from './support/factories';
import { TEST_ACCOUNT_SID } from './support/twilio';

const ORIGIN = 'https://secure.example.com';
const PAYLOADS = [
  `Robert'); DROP TABLE calls;--`,
  `' OR '1'='1`,
  '<script>alert("x")</script>',
  '"><img src=x onerror=alert(1)>',
];
let t: TestContext;
let calls = 0;

beforeAll(async () => {
  t = await createTestContext({ env: { DNI_RATE_LIMIT_PER_MINUTE: '100000' } });
});
afterAll(() => t.close());

const api = () => ({
  post: (p: string, body: object) =>
    request(t.app).post(`/api/v1${p}`).set('Authorization', t.admin).send(body),
  get: (p: string) => request(t.app).get(`/api/v1${p}`).set('Authorization', t.admin),
});

describe.each(PAYLOADS)('the free-text payload %s', (payload) => {
  it('is stored inertly in site, campaign and agent names (read back byte for byte)', async () => {
    const site = await api()
      .post('/sites', { name: payload, allowedOrigins: [ORIGIN], swapTargets: ['+14155550100'] })
      .expect(201);
    expect((await api().get(`/sites/${site.body.id}`).expect(200)).body.name).toBe(payload);
    const campaign = await api()
      .post('/campaigns', {
        name: payload,
        siteId: site.body.id,
        match: {},
        fallbackNumber: '+14155550199',
      })
      .expect(201);
    expect((await api().get(`/campaigns/${campaign.body.id}`).expect(200)).body.name).toBe(payload);
    const agent = await api()
      .post('/agents', {
        name: payload,
        phone: '+13035550142',
        zip: '80202',
        timezone: 'America/Denver',
        active: true,
      })
      .expect(201);
    expect((await api().get(`/agents/${agent.body.id}`).expect(200)).body.name).toBe(payload);
    const tables = await t.ctx.database.rows<{ n: number }>(
      sql.raw(
        `select count(*)::int as n from information_schema.tables where table_name = 'calls'`,
      ),
    );
    expect(tables[0]?.n).toBe(1);
  });

  it('is stored inertly in a disposition note (PUT /api/v1/calls/:sid/disposition) and read back byte for byte', async () => {
    const callSid = `CA${(0xa0000000 + ++calls).toString(16)}${'7'.repeat(24)}`;
    await t.ctx.webhooks.status({
      CallSid: callSid,
      AccountSid: TEST_ACCOUNT_SID,
      CallStatus: 'completed',
      From: '+14155550188',
      To: '+14155550100',
      CallDuration: '61',
    });
    const put = await request(t.app)
      .put(`/api/v1/calls/${callSid}/disposition`)
      .set('Authorization', t.admin)
      .send({ disposition: 'qualified lead', note: payload })
      .expect(200);
    expect(put.body.disposition).toMatchObject({ label: 'qualified lead', note: payload });
    const call = await api().get(`/calls/${callSid}`).expect(200);
    expect(call.body.disposition).toMatchObject({ label: 'qualified lead', note: payload });
    const rows = await t.ctx.database.rows<{ note: string }>(
      sql`select note from call_dispositions where call_sid = ${callSid}`,
    );
    expect(rows).toEqual([{ note: payload }]);
    // The list shows it the same way, and the injection reached no table.
    const list = await api().get('/calls?limit=100').expect(200);
    const listed = (list.body.calls as { callSid: string; disposition: unknown }[]).find(
      (c) => c.callSid === callSid,
    );
    expect(listed?.disposition).toMatchObject({ note: payload });
    const tables = await t.ctx.database.rows<{ n: number }>(
      sql`select count(*)::int as n from information_schema.tables where table_name in ('calls', 'call_dispositions')`,
    );
    expect(tables[0]?.n).toBe(2);
  });

  // URLs are stored as parsed (percent-encoded), so they are compared with the URL parser's form.
  it('is stored inertly in a visitor landing URL and referrer', async () => {
    const { site } = await buildTrackedCampaign(t.ctx, { poolSize: 1, origin: ORIGIN });
    const landingUrl = `${ORIGIN}/?q=${payload}`;
    const referrer = `https://ref.example.org/?q=${payload}`;
    const res = await request(t.app)
      .post('/dni/v1/sessions')
      .set('Origin', ORIGIN)
      .send({ siteKey: site.siteKey, landingUrl, referrer })
      .expect(200);
    const rows = await t.ctx.database.rows<{ landing_url: string; referrer: string }>(
      sql`select landing_url, referrer from visitor_sessions where id = ${res.body.sessionId}`,
    );
    expect(rows[0]).toEqual({
      landing_url: new URL(landingUrl).href,
      referrer: new URL(referrer).href,
    });
  });
});

describe('pages Leadline serves', () => {
  it.each(['/', '/agent'])('%s interpolates no stored data', async (page) => {
    const res = await request(t.app).get(page);
    if (res.status === 404) return;
    for (const p of PAYLOADS) expect(res.text).not.toContain(p);
    expect(res.text).not.toContain('alert(');
  });
});

describe('POST /dni/v1/sessions from elsewhere', () => {
  it('refuses an origin the site does not allow with 403 and no CORS header', async () => {
    const { site } = await buildTrackedCampaign(t.ctx, { poolSize: 1, origin: ORIGIN });
    const res = await request(t.app)
      .post('/dni/v1/sessions')
      .set('Origin', 'https://evil.example.net')
      .send({ siteKey: site.siteKey, landingUrl: 'https://evil.example.net/' });
    expect(res.status).toBe(403);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers 413 to a body over the limit', async () => {
    const { site } = await buildTrackedCampaign(t.ctx, { poolSize: 1, origin: ORIGIN });
    const res = await request(t.app)
      .post('/dni/v1/sessions')
      .set('Origin', ORIGIN)
      .send({ siteKey: site.siteKey, landingUrl: `${ORIGIN}/`, referrer: 'x'.repeat(40_000) });
    expect(res.status).toBe(413);
    const big = await api().post('/sites', { name: 'x'.repeat(200_000) });
    expect(big.status).toBe(413);
  });
});
