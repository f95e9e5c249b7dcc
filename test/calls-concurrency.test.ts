import request from 'supertest';
import { sql } from 'drizzle-orm';
import { createTestContext, type TestContext } from './support/context';
import { ManualClock } from './support/clock';
import { carrierFor } from './support/carrier';
import { buildTrackedCampaign, postSignedWebhook, visitorHoldingNumber } from './support/factories';

/**
 * Twilio's callbacks for one call can land at the same moment on several connections (retries,
 * several nodes): delivered all at once, the call is still recorded once, with the same record.
 */
const clock = new ManualClock('2026-06-01T15:00:00Z');
const TRIALS = 12;
let t: TestContext;

beforeAll(async () => {
  t = await createTestContext({ twilio: true, clock });
});
afterAll(() => t.close());

it('records a call once, with the same final record, when all its webhooks arrive at once', async () => {
  const { site } = await buildTrackedCampaign(t.ctx);
  const v = await visitorHoldingNumber(t.app, site.siteKey);
  const placed = await carrierFor(t.app, clock).placeCall({
    from: '+16175550199',
    to: v.number.e164,
    outcome: 'answered',
    talkSeconds: 80,
  });
  const read = async () => {
    const res = await request(t.app)
      .get(`/api/v1/calls/${placed.callSid}`)
      .set('Authorization', t.admin)
      .expect(200);
    // score and salesforce are filled in later by queue jobs, whenever those run: not part of
    // what the webhooks themselves record.
    const {
      events,
      score: _score,
      salesforce: _salesforce,
      ...call
    } = res.body as { events: unknown[] } & Record<string, unknown>;
    return { call, events: events.length };
  };
  const baseline = await read();
  expect(baseline.call).toMatchObject({
    attribution: 'exact',
    sessionId: v.sessionId,
    outcome: 'answered',
  });

  const sends = placed.deliveries.filter((d) => !d.duplicate);
  for (let trial = 0; trial < TRIALS; trial++) {
    await t.ctx.database.rows(sql`delete from call_events where root_call_sid = ${placed.callSid}`);
    await t.ctx.database.rows(
      sql`delete from calls where call_sid = ${placed.callSid} or parent_call_sid = ${placed.callSid}`,
    );
    const order = trial % 2 ? [...sends].reverse() : sends;
    // Every webhook twice, all in flight together.
    const results = await Promise.all(
      [...order, ...order].map((d) => postSignedWebhook(t.app, d.path, d.params)),
    );
    expect(results.every((r) => r.status < 300)).toBe(true);
    expect(await read()).toEqual(baseline);
    const [rows] = await t.ctx.database.rows<{ n: number }>(
      sql`select count(*)::int as n from calls where call_sid = ${placed.callSid}`,
    );
    expect(rows?.n).toBe(1);
  }
});
