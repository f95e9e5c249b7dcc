import request from 'supertest';
import { createTestContext, type TestContext } from './support/context';

let t: TestContext;
let guarded: TestContext;

beforeAll(async () => {
  t = await createTestContext();
  guarded = await createTestContext({ env: { METRICS_TOKEN: 'metrics-token-0123456789' } });
});
afterAll(async () => {
  await t.close();
  await guarded.close();
});

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
});

describe('GET /ready', () => {
  it('is ready while the database and queue answer', async () => {
    const res = await request(t.app).get('/ready').expect(200);
    expect(res.body).toEqual({ status: 'ready', checks: { database: 'ok', queue: 'ok' } });
  });

  it('says the database is unreachable with 503 while /health keeps its shape', async () => {
    const ping = guarded.ctx.database.ping;
    guarded.ctx.database.ping = async () => {
      throw new Error('connection refused');
    };
    try {
      const res = await request(guarded.app).get('/ready').expect(503);
      expect(res.body).toMatchObject({ status: 'degraded', checks: { database: 'unreachable' } });
      const health = await request(guarded.app).get('/health').expect(503);
      expect(health.body).toEqual({ status: 'degraded', database: guarded.ctx.database.kind });
    } finally {
      guarded.ctx.database.ping = ping;
    }
  });
});
