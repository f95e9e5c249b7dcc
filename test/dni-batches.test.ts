import request from 'supertest';
import { createTestContext, type TestContext } from './support/context';
import { ManualClock } from './support/clock';
import { buildTrackedCampaign } from './support/factories';

const ORIGIN = 'https://www.example.com';
let t: TestContext;
const clock = new ManualClock('2026-06-01T15:00:00Z');

beforeAll(async () => {
  t = await createTestContext({ env: { DNI_RATE_LIMIT_PER_MINUTE: '10000' }, clock });
});
afterAll(() => t.close());

const visit = (siteKey: string, visitorId?: string) =>
  request(t.app)
    .post('/dni/v1/sessions')
    .set('Origin', ORIGIN)
    .send({ siteKey, landingUrl: `${ORIGIN}/`, ...(visitorId ? { visitorId } : {}) });

describe('DNI steps sent together (leadline_dni_sessions)', () => {
  it('answers each visitor of a batch with their own session, and never one number twice', async () => {
    const { site } = await buildTrackedCampaign(t.ctx, { poolSize: 20, origin: ORIGIN });
    const earlier = await Promise.all([1, 2, 3, 4, 5, 6].map(() => visit(site.siteKey)));
    // Past the node's memory of them, so their renewals go to the database too.
    await t.ctx.dni.flushRenewals();
    t.ctx.dni.stop({ flush: false });
    clock.advance(60_000);
    const returning = earlier.map((r) => r.body as { visitorId: string; sessionId: string });

    const answers = await Promise.all([
      ...returning.map((r) => visit(site.siteKey, r.visitorId)),
      ...[1, 2, 3, 4, 5, 6, 7, 8].map(() => visit(site.siteKey)),
    ]);
    for (const a of answers) expect(a.status).toBe(200);
    returning.forEach((r, i) => {
      expect(answers[i]?.body).toMatchObject({ visitorId: r.visitorId, sessionId: r.sessionId });
    });
    const fresh = answers.slice(returning.length).map((a) => a.body as { visitorId: string });
    expect(new Set(fresh.map((b) => b.visitorId)).size).toBe(8);
    const numbers = answers.map((a) => (a.body as { number: { e164: string } }).number.e164);
    expect(new Set(numbers).size).toBe(answers.length);
  });
});
