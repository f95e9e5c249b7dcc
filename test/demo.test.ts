import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createTestContext, type TestContext } from './support/context';
import { createContext } from '../src/context';
import { DEMO_SWAP_TARGET } from '../src/demo/demo.service';

const NO_TWILIO = { TWILIO_ACCOUNT_SID: '', TWILIO_AUTH_TOKEN: '', TWILIO_API_BASE_URL: '' };

describe('demo mode', () => {
  let t: TestContext;
  let server: http.Server;

  beforeAll(async () => {
    t = await createTestContext({ env: NO_TWILIO });
    server = http.createServer(t.app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.ctx.demo.setSelfUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    await t.ctx.demo.seed();
  });
  async function demoSite(): Promise<{
    id: string;
    swapTargets: string[];
    allowedOrigins: string[];
  }> {
    const sites = await request(t.app)
      .get('/api/v1/sites')
      .set('Authorization', t.admin)
      .expect(200);
    const site = sites.body.sites.find((s: { name: string }) => s.name === 'Leadline demo');
    if (!site) throw new Error('no demo site');
    return site;
  }

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await t.close();
  });

  it('seeds a demo site once, with a pool and a source number', async () => {
    await t.ctx.demo.seed();
    const sites = await request(t.app)
      .get('/api/v1/sites')
      .set('Authorization', t.admin)
      .expect(200);
    const demoSites = sites.body.sites.filter((s: { name: string }) => s.name === 'Leadline demo');
    expect(demoSites).toHaveLength(1);
    const campaigns = await request(t.app)
      .get(`/api/v1/campaigns?siteId=${demoSites[0].id}`)
      .set('Authorization', t.admin);
    const numbers = await request(t.app)
      .get(`/api/v1/campaigns/${campaigns.body.campaigns[0].id}/numbers`)
      .set('Authorization', t.admin);
    expect(numbers.body.numbers.filter((n: { kind: string }) => n.kind === 'pool')).toHaveLength(4);
    expect(numbers.body.numbers.filter((n: { kind: string }) => n.kind === 'source')).toHaveLength(
      1,
    );
    expect(
      numbers.body.numbers.every(
        (n: { e164: string; demo: boolean }) => /55501\d\d$/.test(n.e164) && n.demo,
      ),
    ).toBe(true);
  });

  it('prints and falls back to the business line, which is never one of its tracking numbers', async () => {
    const site = await demoSite();
    expect(site.swapTargets).toEqual([DEMO_SWAP_TARGET]);
    const campaigns = await request(t.app)
      .get(`/api/v1/campaigns?siteId=${site.id}`)
      .set('Authorization', t.admin)
      .expect(200);
    expect(campaigns.body.campaigns[0].fallbackNumber).toBe(DEMO_SWAP_TARGET);
    const numbers = await request(t.app)
      .get(`/api/v1/campaigns/${campaigns.body.campaigns[0].id}/numbers`)
      .set('Authorization', t.admin)
      .expect(200);
    expect(numbers.body.numbers.length).toBeGreaterThan(0);
    expect(numbers.body.numbers.map((n: { e164: string }) => n.e164)).not.toContain(
      DEMO_SWAP_TARGET,
    );
  });

  it('lets the demo page in from the address of the current start, not the first one', async () => {
    const moved = createContext({
      config: { ...t.ctx.config, publicBaseUrl: 'http://localhost:4517' },
      database: t.ctx.database,
      logger: t.ctx.logger,
    });
    try {
      await moved.demo.seed();
    } finally {
      await moved.stop();
    }
    expect((await demoSite()).allowedOrigins).toEqual([
      'http://localhost:4517',
      'http://127.0.0.1:4517',
    ]);
    await t.ctx.demo.seed();
    expect((await demoSite()).allowedOrigins).toContain(new URL(t.ctx.config.publicBaseUrl).origin);
    expect((await demoSite()).allowedOrigins).not.toContain('http://localhost:4517');
  });

  it('refuses toll-free numbers with a 4xx that says demo mode has none', async () => {
    const site = await demoSite();
    const campaigns = await request(t.app)
      .get(`/api/v1/campaigns?siteId=${site.id}`)
      .set('Authorization', t.admin)
      .expect(200);
    const res = await request(t.app)
      .post(`/api/v1/campaigns/${campaigns.body.campaigns[0].id}/numbers`)
      .set('Authorization', t.admin)
      .send({ count: 1, tollFree: true })
      .expect(422);
    expect(res.body.error.code).toBe('demo_mode_no_toll_free');
    expect(res.body.error.message).toMatch(/demo mode has no toll-free numbers/);
  });

  it('serves a landing page carrying the swap script for the demo site', async () => {
    const page = await request(t.app).get('/').expect(200);
    expect(page.text).toContain(
      `<script src="/dni.js" data-site="${await t.ctx.demo.siteKey()}" async></script>`,
    );
    expect(page.text).toContain('(415) 555-0100');
  });

  it('plays a signed call through the carrier simulator and records it, attributed', async () => {
    // As the sample page's script sends it: from the demo site's own origin (a request without
    // an allowed Origin gets the source number, not a lease).
    const visit = await request(t.app)
      .post('/dni/v1/sessions')
      .set('Origin', 'https://leadline.test')
      .send({
        siteKey: await t.ctx.demo.siteKey(),
        landingUrl: 'https://leadline.test/?utm_source=google&utm_medium=cpc',
      })
      .expect(200);
    const res = await request(t.app)
      .post('/demo/v1/calls')
      .send({ to: visit.body.number.e164, outcome: 'voicemail' })
      .expect(201);
    const call = await request(t.app)
      .get(`/api/v1/calls/${res.body.callSid}`)
      .set('Authorization', t.admin)
      .expect(200);
    expect(call.body).toMatchObject({
      outcome: 'voicemail',
      attribution: 'exact',
      sessionId: visit.body.sessionId,
      source: 'google',
    });
    // The call played in moments; none of its times may lie in the future.
    const now = Date.now();
    expect(call.body.endedAt).not.toBeNull();
    for (const field of ['startedAt', 'answeredAt', 'endedAt'] as const) {
      const value = call.body[field] as string | null;
      if (value !== null) expect(new Date(value).getTime()).toBeLessThanOrEqual(now);
    }
  });

  it('refuses a call to a number it does not track, and bad input', async () => {
    const res = await request(t.app)
      .post('/demo/v1/calls')
      .send({ to: '+19995550100' })
      .expect(404);
    expect(res.body.error.code).toBe('number_not_found');
    await request(t.app).post('/demo/v1/calls').send({ to: '555' }).expect(400);
  });
});

describe('outside demo mode', () => {
  it('has no demo routes', async () => {
    const t = await createTestContext({
      env: {
        TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`,
        TWILIO_AUTH_TOKEN: 'x',
        TWILIO_API_BASE_URL: 'http://127.0.0.1:9',
      },
    });
    try {
      await request(t.app).post('/demo/v1/calls').send({ to: '+14155550100' }).expect(404);
      await request(t.app).get('/').expect(404);
    } finally {
      await t.close();
    }
  });
});

// Several nodes starting together on one PostgreSQL: only PostgreSQL has more than one node.
(process.env.DATABASE_URL ? describe : describe.skip)('demo seed on several nodes', () => {
  it('creates the demo site once when two nodes seed at the same moment', async () => {
    const t = await createTestContext({ env: NO_TWILIO });
    // A second node: its own services and its own demo Twilio, the same database.
    const other = createContext({
      config: t.ctx.config,
      database: t.ctx.database,
      logger: t.ctx.logger,
    });
    try {
      await Promise.all([t.ctx.demo.seed(), other.demo.seed()]);
      const sites = await request(t.app)
        .get('/api/v1/sites')
        .set('Authorization', t.admin)
        .expect(200);
      expect(
        sites.body.sites.filter((s: { name: string }) => s.name === 'Leadline demo'),
      ).toHaveLength(1);
    } finally {
      await other.stop();
      await t.close();
    }
  });
});
