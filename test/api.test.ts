import request from 'supertest';
import { createTestContext, type TestContext } from './support/context';
import { buildCampaign, buildSite } from './support/factories';

let t: TestContext;
let marketer: string;

beforeAll(async () => {
  t = await createTestContext();
  marketer = `Bearer ${(await t.ctx.keys.createKey('marketer', 'test marketer')).key}`;
});
afterAll(() => t.close());

describe('GET /health', () => {
  it('reports ok and which database it runs on', async () => {
    const res = await request(t.app).get('/health').expect(200);
    expect(res.body).toEqual({
      status: 'ok',
      database: process.env.DATABASE_URL ? 'postgres' : 'embedded',
    });
  });
});

describe('API authentication', () => {
  it('answers 401 without a key', async () => {
    const res = await request(t.app).get('/api/v1/campaigns').expect(401);
    expect(res.body.error.code).toBe('unauthorized');
  });

  it('answers 401 for an unknown key', async () => {
    await request(t.app)
      .get('/api/v1/campaigns')
      .set('Authorization', 'Bearer ll_adm_not-a-real-key')
      .expect(401);
  });

  it('accepts a key minted by the key service, which stores only its hash', async () => {
    const { key } = await t.ctx.keys.createKey('admin', 'second admin');
    await request(t.app).get('/api/v1/sites').set('Authorization', `Bearer ${key}`).expect(200);
    const rows = await t.ctx.database.rows<{ key_hash: string }>(
      (await import('drizzle-orm')).sql`select key_hash from api_keys`,
    );
    expect(rows.map((r) => r.key_hash)).not.toContain(key);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.key_hash))).toBe(true);
  });

  it('lets a marketer read campaigns but not create them', async () => {
    const site = await buildSite(t.ctx);
    await request(t.app).get('/api/v1/campaigns').set('Authorization', marketer).expect(200);
    const res = await request(t.app)
      .post('/api/v1/campaigns')
      .set('Authorization', marketer)
      .send({ name: 'x', siteId: site.id, fallbackNumber: '+14155550100' })
      .expect(403);
    expect(res.body.error.code).toBe('insufficient_role');
    const list = await request(t.app)
      .get(`/api/v1/campaigns?siteId=${site.id}`)
      .set('Authorization', marketer);
    expect(list.body.campaigns).toHaveLength(0);
  });
});

describe('POST /api/v1/sites', () => {
  it('creates a site with a site key and normalised origins', async () => {
    const res = await request(t.app)
      .post('/api/v1/sites')
      .set('Authorization', t.admin)
      .send({
        name: 'Acme Plumbing',
        allowedOrigins: ['https://www.acme.test/some/page'],
        swapTargets: ['+14155550100'],
      })
      .expect(201);
    expect(res.body).toMatchObject({
      name: 'Acme Plumbing',
      allowedOrigins: ['https://www.acme.test'],
      swapTargets: ['+14155550100'],
    });
    expect(res.body.siteKey).toMatch(/^site_/);
    const got = await request(t.app)
      .get(`/api/v1/sites/${res.body.id}`)
      .set('Authorization', t.admin);
    expect(got.body.siteKey).toBe(res.body.siteKey);
  });

  it('keeps a bot allow list and refuses one that is too long or has too-short entries', async () => {
    const ok = await request(t.app)
      .post('/api/v1/sites')
      .set('Authorization', t.admin)
      .send({ name: 'Monitored', botAllowList: ['AcmeUptimeCheck'] })
      .expect(201);
    expect(ok.body.botAllowList).toEqual(['AcmeUptimeCheck']);
    const plain = await request(t.app)
      .post('/api/v1/sites')
      .set('Authorization', t.admin)
      .send({ name: 'Plain' })
      .expect(201);
    expect(plain.body.botAllowList).toEqual([]);
    for (const botAllowList of [['ab'], ['x'.repeat(101)], Array(21).fill('Monitor'), 'Monitor']) {
      const res = await request(t.app)
        .post('/api/v1/sites')
        .set('Authorization', t.admin)
        .send({ name: 'Bad', botAllowList })
        .expect(400);
      expect(res.body.error.message).toContain('botAllowList');
    }
  });

  it('rejects a swap target that is not E.164 and names the field', async () => {
    const res = await request(t.app)
      .post('/api/v1/sites')
      .set('Authorization', t.admin)
      .send({ name: 'Bad', swapTargets: ['415-555-0100'] })
      .expect(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.message).toContain('swapTargets.0');
  });
});

describe('/api/v1/campaigns', () => {
  it('creates, reads and patches a campaign with defaults', async () => {
    const site = await buildSite(t.ctx);
    const res = await request(t.app)
      .post('/api/v1/campaigns')
      .set('Authorization', t.admin)
      .send({
        name: 'Google Ads',
        siteId: site.id,
        match: { utmSource: 'google', utmMedium: 'cpc' },
        fallbackNumber: '+14155550111',
      })
      .expect(201);
    expect(res.body).toMatchObject({ holdSeconds: 1800, overflow: 'share_lru', siteId: site.id });
    const patched = await request(t.app)
      .patch(`/api/v1/campaigns/${res.body.id}`)
      .set('Authorization', t.admin)
      .send({ holdSeconds: 900 })
      .expect(200);
    expect(patched.body.holdSeconds).toBe(900);
    expect(patched.body.match).toEqual({ utmSource: 'google', utmMedium: 'cpc' });
  });

  it('refuses a second default campaign on the same site', async () => {
    const first = await buildCampaign(t.ctx);
    const res = await request(t.app)
      .post('/api/v1/campaigns')
      .set('Authorization', t.admin)
      .send({ name: 'dup', siteId: first.siteId, fallbackNumber: '+14155550100' })
      .expect(409);
    expect(res.body.error.code).toBe('default_campaign_exists');
  });

  it('names an unknown site id as the problem and writes nothing', async () => {
    const res = await request(t.app)
      .post('/api/v1/campaigns')
      .set('Authorization', t.admin)
      .send({
        name: 'orphan',
        siteId: '00000000-0000-4000-8000-000000000000',
        fallbackNumber: '+14155550100',
      })
      .expect(400);
    expect(res.body.error.message).toContain('siteId');
    const all = await request(t.app).get('/api/v1/campaigns').set('Authorization', t.admin);
    expect(all.body.campaigns.map((c: { name: string }) => c.name)).not.toContain('orphan');
  });

  it('answers 404 for a campaign that does not exist', async () => {
    const res = await request(t.app)
      .get('/api/v1/campaigns/00000000-0000-4000-8000-000000000000')
      .set('Authorization', t.admin)
      .expect(404);
    expect(res.body.error.code).toBe('campaign_not_found');
  });
});

describe('malformed requests', () => {
  const big = JSON.stringify({ name: 'x'.repeat(200_000) });
  const cases: [string, (r: request.Agent) => request.Test][] = [
    [
      'bad JSON',
      (r) => r.post('/api/v1/sites').set('Content-Type', 'application/json').send('{"name":'),
    ],
    [
      'JSON that is a string',
      (r) => r.post('/api/v1/sites').set('Content-Type', 'application/json').send('"site"'),
    ],
    [
      'JSON null',
      (r) => r.post('/api/v1/sites').set('Content-Type', 'application/json').send('null'),
    ],
    ['array body', (r) => r.post('/api/v1/sites').send([{ name: 'a' }])],
    ['no body', (r) => r.post('/api/v1/sites')],
    ['form body', (r) => r.post('/api/v1/sites').type('form').send('name=x')],
    ['name is a number', (r) => r.post('/api/v1/sites').send({ name: 42 })],
    ['empty name', (r) => r.post('/api/v1/sites').send({ name: '  ' })],
    ['unknown field', (r) => r.post('/api/v1/sites').send({ name: 'a', colour: 'red' })],
    ['origins not a list', (r) => r.post('/api/v1/sites').send({ name: 'a', allowedOrigins: 'x' })],
    [
      'origin not a URL',
      (r) => r.post('/api/v1/sites').send({ name: 'a', allowedOrigins: ['nope'] }),
    ],
    ['huge body', (r) => r.post('/api/v1/sites').set('Content-Type', 'application/json').send(big)],
    ['campaign missing fields', (r) => r.post('/api/v1/campaigns').send({})],
    [
      'holdSeconds a string',
      (r) =>
        r.post('/api/v1/campaigns').send({
          name: 'a',
          siteId: '00000000-0000-4000-8000-000000000000',
          fallbackNumber: '+14155550100',
          holdSeconds: '10',
        }),
    ],
    [
      'holdSeconds negative',
      (r) =>
        r.patch('/api/v1/campaigns/00000000-0000-4000-8000-000000000000').send({ holdSeconds: -5 }),
    ],
    ['campaign id not a uuid', (r) => r.get('/api/v1/campaigns/not-a-uuid')],
    ['bad siteId filter', (r) => r.get('/api/v1/campaigns?siteId=123')],
    ['unknown API route', (r) => r.get('/api/v1/nothing-here')],
    ['unknown public route', (r) => r.get('/wp-admin.php')],
    [
      'unsupported charset',
      (r) =>
        r.post('/api/v1/sites').set('Content-Type', 'application/json; charset=klingon').send('{}'),
    ],
    [
      'deeply nested match',
      (r) =>
        r.post('/api/v1/campaigns').send({
          name: 'a',
          siteId: '00000000-0000-4000-8000-000000000000',
          fallbackNumber: '+14155550100',
          match: { utmSource: { $ne: 1 } },
        }),
    ],
  ];

  it.each(cases)('%s gets a 4xx in the error shape', async (_name, send) => {
    const res = await send(request.agent(t.app).set('Authorization', t.admin));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body).toEqual({
      error: expect.objectContaining({
        code: expect.stringMatching(/^[a-z_]+$/),
        message: expect.any(String),
      }),
    });
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/);
  });

  it('stays up and wrote no site after all of them', async () => {
    await request(t.app).get('/health').expect(200);
    const sites = await request(t.app).get('/api/v1/sites').set('Authorization', t.admin);
    expect(sites.body.sites.map((s: { name: string }) => s.name)).not.toContain('a');
  });
});
