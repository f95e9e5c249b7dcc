import request from 'supertest';
import { sql } from 'drizzle-orm';
import { createTestContext, type TestContext } from './support/context';
import { ManualClock } from './support/clock';
import { carrierFor } from './support/carrier';
import {
  buildTrackedCampaign,
  postSignedWebhook,
  TEST_ORIGIN,
  visitorHoldingNumber,
} from './support/factories';
import { mulberry32, type CallOutcome, type PlacedCall } from '../src/demo/carrier/simulator';

/**
 * Property: the final call record depends only on the set of webhooks Twilio sent, not on their
 * order or on how many times each was retried.
 */
const clock = new ManualClock('2026-06-01T15:00:00Z');
const TRIALS = 15;
let t: TestContext;

beforeAll(async () => {
  t = await createTestContext({ twilio: true, clock });
});
afterAll(() => t.close());

async function finalRecord(callSid: string) {
  const res = await request(t.app)
    .get(`/api/v1/calls/${callSid}`)
    .set('Authorization', t.admin)
    .expect(200);
  // score and salesforce are filled in later by queue jobs, whenever those run: not part of
  // what the webhooks themselves record.
  const {
    events: _events,
    score: _score,
    salesforce: _salesforce,
    ...call
  } = res.body as Record<string, unknown>;
  return call;
}

async function forget(callSid: string) {
  await t.ctx.database.rows(sql`delete from call_events where root_call_sid = ${callSid}`);
  await t.ctx.database.rows(
    sql`delete from calls where call_sid = ${callSid} or parent_call_sid = ${callSid}`,
  );
}

async function replay(placed: PlacedCall, rng: () => number) {
  const unique = placed.deliveries.filter((d) => !d.duplicate);
  const sends = [...unique];
  // Twilio's retries: some webhooks arrive two or three times.
  for (const d of unique) if (rng() < 0.4) sends.push(d, ...(rng() < 0.3 ? [d] : []));
  for (let i = sends.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [sends[i], sends[j]] = [sends[j] as (typeof sends)[number], sends[i] as (typeof sends)[number]];
  }
  for (const d of sends) {
    const res = await postSignedWebhook(t.app, d.path, d.params);
    expect(res.status).toBeLessThan(300);
  }
  return sends.map((d) => d.kind);
}

describe('call webhooks in any order, with duplicates', () => {
  const outcomes: CallOutcome[] = ['answered', 'voicemail', 'busy', 'canceled'];

  it.each(outcomes)('%s: every order yields the same final record', async (outcome) => {
    const { site } = await buildTrackedCampaign(t.ctx, { campaign: { recordCalls: true } });
    const v = await visitorHoldingNumber(t.app, site.siteKey, {
      landingUrl: `${TEST_ORIGIN}/?utm_source=bing&utm_medium=cpc`,
    });
    const placed = await carrierFor(t.app, clock).placeCall({
      from: `+130355501${40 + outcomes.indexOf(outcome)}`,
      to: v.number.e164,
      outcome,
      fromZip: '80202',
      ringSeconds: 9,
      talkSeconds: 130,
    });
    const baseline = await finalRecord(placed.callSid);
    expect(baseline).toMatchObject({
      attribution: 'exact',
      sessionId: v.sessionId,
      status: placed.expected.status,
    });

    const rng = mulberry32(outcome.length * 1000 + 17);
    const orders = new Set<string>();
    for (let trial = 0; trial < TRIALS; trial++) {
      await forget(placed.callSid);
      orders.add((await replay(placed, rng)).join(','));
      expect(await finalRecord(placed.callSid)).toEqual(baseline);
    }
    // The trials really did deliver the callbacks in different orders.
    expect(orders.size).toBeGreaterThan(TRIALS / 2);
  });
});
