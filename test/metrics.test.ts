import PgBoss from 'pg-boss';
import request from 'supertest';
import type { Express } from 'express';
import { createTestContext, type TestContext } from './support/context';
import { buildTrackedCampaign, postSignedWebhook, visitorHoldingNumber } from './support/factories';
import { cutPostgres, stallDatabase } from './support/outage';
import { TEST_ACCOUNT_SID } from './support/twilio';

let t: TestContext;
let guarded: TestContext;

beforeAll(async () => {
  t = await createTestContext({ twilio: true, env: { VOICE_DEADLINE_MS: '400' } });
  guarded = await createTestContext({ env: { METRICS_TOKEN: 'metrics-token-0123456789' } });
});
afterAll(async () => {
  await t.close();
  await guarded.close();
});

async function scrape(app: Express = t.app, auth?: string): Promise<string> {
  const req = request(app).get('/metrics');
  if (auth) req.set('Authorization', auth);
  const res = await req.expect(200);
  return res.text;
}

/** A sample's value, e.g. sample(text, 'leadline_pool_numbers', {campaign: id}); undefined if absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}) {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? '').split(',').filter(Boolean);
    if (wanted.every((w) => have.includes(w)) && have.length === wanted.length) return Number(m[3]);
  }
  return undefined;
}

let seq = 0;
const sid = () => `CA${(0xd0000000 + ++seq).toString(16)}${'c'.repeat(24)}`;

async function drainRetries(ctx: TestContext['ctx']) {
  const until = Date.now() + 20_000;
  while ((await ctx.webhookRetry.flush()) > 0 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('GET /metrics', () => {
  it('labels request latency with the route pattern, never the raw URL', async () => {
    await request(t.app)
      .get(`/api/v1/calls/CA${'1'.repeat(32)}`)
      .set('Authorization', t.admin);
    await request(t.app).get('/api/v1/calls').set('Authorization', t.admin).expect(200);
    const res = await request(t.app).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.text).toMatch(
      /leadline_http_request_duration_seconds_bucket\{le="[^"]+",method="GET",route="\/api\/v1\/calls\/:sid",status="404"\}/,
    );
    expect(res.text).toMatch(
      /leadline_http_requests_total\{method="GET",route="\/api\/v1\/calls",status="200"\} 1/,
    );
    expect(res.text).not.toContain('1111111111');
    expect(res.text).toMatch(/leadline_jobs_waiting\{job="call.score"\} \d+/);
    expect(res.text).toMatch(/leadline_jobs_dead_letters\{job="salesforce.sync"\} \d+/);
    expect(res.text).toMatch(/leadline_salesforce_sync_paused 1/);
  });

  it('requires the bearer token when METRICS_TOKEN is set', async () => {
    await request(guarded.app).get('/metrics').expect(401);
    await request(guarded.app).get('/metrics').set('Authorization', 'Bearer wrong').expect(401);
    const ok = await request(guarded.app)
      .get('/metrics')
      .set('Authorization', 'Bearer metrics-token-0123456789')
      .expect(200);
    expect(ok.text).toContain('leadline_http_request_duration_seconds');
  });

  it("counts a campaign's pool numbers and the ones leased now", async () => {
    const { site, campaign } = await buildTrackedCampaign(t.ctx, { poolSize: 3 });
    let text = await scrape();
    expect(sample(text, 'leadline_pool_numbers', { campaign: campaign.id })).toBe(3);
    expect(sample(text, 'leadline_pool_numbers_leased', { campaign: campaign.id })).toBe(0);

    await visitorHoldingNumber(t.app, site.siteKey);
    await visitorHoldingNumber(t.app, site.siteKey);
    text = await scrape();
    expect(sample(text, 'leadline_pool_numbers_leased', { campaign: campaign.id })).toBe(2);
  });

  it('counts each visitor who found the pool exhausted', async () => {
    const { site, campaign } = await buildTrackedCampaign(t.ctx, { poolSize: 1 });
    await visitorHoldingNumber(t.app, site.siteKey);
    expect(
      sample(await scrape(), 'leadline_pool_exhaustions_total', { campaign: campaign.id }),
    ).toBeUndefined();

    const second = await visitorHoldingNumber(t.app, site.siteKey);
    const third = await visitorHoldingNumber(t.app, site.siteKey);
    expect([second.shared, third.shared]).toEqual([true, true]);
    // A shared visitor renewing is not a new exhaustion.
    await visitorHoldingNumber(t.app, site.siteKey, { visitorId: second.visitorId });
    const text = await scrape();
    expect(sample(text, 'leadline_pool_exhaustions_total', { campaign: campaign.id })).toBe(2);
    expect(sample(text, 'leadline_pool_numbers_leased', { campaign: campaign.id })).toBe(1);
  });

  it('counts webhooks in the dead-letter store', async () => {
    const before = sample(await scrape(), 'leadline_webhook_dead_letters');
    expect(before).toEqual(expect.any(Number));
    // Past the edge's sanitising (called directly): the database refuses the NUL byte.
    await t.ctx.webhooks.status({
      CallSid: sid(),
      AccountSid: TEST_ACCOUNT_SID,
      CallStatus: 'completed',
      From: '+14155550123',
      CallerName: 'Nul\u0000Byte',
    });
    await drainRetries(t.ctx);
    expect(sample(await scrape(), 'leadline_webhook_dead_letters')).toBe((before ?? 0) + 1);
  }, 30_000);

  it('shows a job waiting in the queue, and a job refused into its dead-letter queue', async () => {
    const waiting = async () =>
      sample(await scrape(), 'leadline_jobs_waiting', { job: 'scoring.rescore' });
    const waitingBefore = await waiting();
    // Another node's queue (pg-boss on the same database) adds a job due in an hour, and a
    // payload the worker refuses (an older node, a hand-written row), sent without retries so it
    // is dead-lettered on its first try.
    const db = t.ctx.database.queueDb;
    const raw = new PgBoss(
      'url' in db
        ? { connectionString: db.url, supervise: false, schedule: false }
        : { db: db as PgBoss.Db, supervise: false, schedule: false },
    );
    await raw.start();
    try {
      const payload = {
        runId: '00000000-0000-4000-8000-000000000001',
        siteId: null,
        since: new Date().toISOString(),
      };
      await raw.send('scoring.rescore', payload, { startAfter: 3600 });
      await raw.send('call.score', { callSid: 7 }, { retryLimit: 0 });
    } finally {
      await raw.stop({ graceful: false, wait: true });
    }
    expect(await waiting()).toBe((waitingBefore ?? 0) + 1);
    let dead: number | undefined;
    for (let i = 0; i < 100 && !dead; i++) {
      dead = sample(await scrape(), 'leadline_jobs_dead_letters', { job: 'call.score' });
      if (!dead) await new Promise((r) => setTimeout(r, 100));
    }
    expect(dead).toBe(1);
  }, 30_000);
});

describe('the webhook journal in /metrics and /ready', () => {
  it('shows the backlog and "journal replaying" while a journaled webhook waits for the database, and clears both once it is stored', async () => {
    const callSid = sid();
    const stall = await stallDatabase(t.ctx.database, t.databaseUrl);
    try {
      await postSignedWebhook(t.app, '/twilio/status', {
        CallSid: callSid,
        AccountSid: TEST_ACCOUNT_SID,
        CallStatus: 'completed',
        From: '+14155550124',
        To: '+14155550100',
        CallDuration: '30',
      }).expect((res) => expect(res.status).toBeLessThan(300));
      expect(sample(await scrape(), 'leadline_webhook_journal_backlog')).toBeGreaterThanOrEqual(1);

      const ready = await request(t.app).get('/ready');
      expect(ready.body).toMatchObject({
        status: 'degraded',
        checks: { journal: 'replaying' },
      });
      expect(ready.body.degraded).toContain('journal replaying');
      // The embedded database's one connection is held: there the database is unreachable too.
      const databaseDown = ready.body.checks.database === 'unreachable';
      expect(ready.status).toBe(databaseDown ? 503 : 200);
      expect(databaseDown).toBe(!t.databaseUrl);
    } finally {
      await stall.release();
    }
    await drainRetries(t.ctx);
    expect(sample(await scrape(), 'leadline_webhook_journal_backlog')).toBe(0);
    const call = await request(t.app).get(`/api/v1/calls/${callSid}`).set('Authorization', t.admin);
    expect(call.status).toBe(200);
    const ready = await request(t.app).get('/ready').expect(200);
    expect(ready.body).toEqual({
      status: 'ready',
      checks: { database: 'ok', queue: 'ok', journal: 'ok' },
    });
  }, 60_000);
});

describe('GET /ready', () => {
  it('is ready while the database and queue answer and nothing waits in the journal', async () => {
    const res = await request(t.app).get('/ready').expect(200);
    expect(res.body).toEqual({
      status: 'ready',
      checks: { database: 'ok', queue: 'ok', journal: 'ok' },
    });
  });

  it('says the database is unreachable with 503 while /health keeps its shape', async () => {
    const ping = guarded.ctx.database.ping;
    guarded.ctx.database.ping = async () => {
      throw new Error('connection refused');
    };
    try {
      const res = await request(guarded.app).get('/ready').expect(503);
      expect(res.body).toMatchObject({ status: 'degraded', checks: { database: 'unreachable' } });
      expect(res.body.degraded).toContain('database unreachable');
      const health = await request(guarded.app).get('/health').expect(503);
      expect(health.body).toEqual({ status: 'degraded', database: guarded.ctx.database.kind });
    } finally {
      guarded.ctx.database.ping = ping;
    }
  });

  it('answers /health and /ready within seconds while the database hangs', async () => {
    const ping = guarded.ctx.database.ping;
    guarded.ctx.database.ping = () => new Promise<void>(() => undefined);
    try {
      const started = Date.now();
      const [health, ready] = await Promise.all([
        request(guarded.app).get('/health'),
        request(guarded.app).get('/ready'),
      ]);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(health.status).toBe(503);
      expect(ready.status).toBe(503);
      expect(ready.body.degraded).toContain('database unreachable');
    } finally {
      guarded.ctx.database.ping = ping;
    }
  });

  (process.env.DATABASE_URL ? it : it.skip)(
    'says "database unreachable" and "journal replaying" while PostgreSQL refuses connections, and is ready again after',
    async () => {
      const callSid = sid();
      const cut = await cutPostgres(t.databaseUrl ?? '');
      try {
        await postSignedWebhook(t.app, '/twilio/status', {
          CallSid: callSid,
          AccountSid: TEST_ACCOUNT_SID,
          CallStatus: 'completed',
          From: '+14155550125',
          To: '+14155550100',
          CallDuration: '12',
        }).expect((res) => expect(res.status).toBeLessThan(300));
        const ready = await request(t.app).get('/ready').expect(503);
        expect(ready.body.degraded).toEqual(
          expect.arrayContaining(['database unreachable', 'journal replaying']),
        );
        await request(t.app).get('/health').expect(503);
        expect(sample(await scrape(), 'leadline_webhook_journal_backlog')).toBeGreaterThanOrEqual(
          1,
        );
      } finally {
        await cut.restore();
      }
      await drainRetries(t.ctx);
      await request(t.app)
        .get(`/api/v1/calls/${callSid}`)
        .set('Authorization', t.admin)
        .expect(200);
      await request(t.app).get('/ready').expect(200);
    },
    60_000,
  );
});
