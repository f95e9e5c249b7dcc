import request from 'supertest';
import { sql } from 'drizzle-orm';
import { createTestContext, type TestContext } from './support/context';
import { ManualClock } from './support/clock';
import { TEST_AUTH_TOKEN } from './support/twilio';
import { carrierFor, PUBLIC_BASE_URL } from './support/carrier';
import { buildCampaign, buildPool, buildSite } from './support/factories';
import { mulberry32, type CallOutcome, type PlacedCall } from '../src/demo/carrier/simulator';
import { signTwilioRequest } from '../src/shared/twilio';

/**
 * Property: the final call record depends only on the set of webhooks Twilio sent, not on their
 * order or on how many times each was retried.
 */
const ORIGIN = 'https://www.example.com';
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
  const { events: _events, ...call } = res.body as Record<string, unknown>;
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
    const sig = signTwilioRequest(TEST_AUTH_TOKEN, `${PUBLIC_BASE_URL}${d.path}`, d.params);
    const res = await request(t.app)
      .post(d.path)
      .type('form')
      .set('X-Twilio-Signature', sig)
      .send(d.params);
    expect(res.status).toBeLessThan(300);
  }
  return sends.map((d) => d.kind);
}

describe('call webhooks in any order, with duplicates', () => {
  const outcomes: CallOutcome[] = ['answered', 'voicemail', 'busy', 'canceled'];

  it.each(outcomes)('%s: every order yields the same final record', async (outcome) => {
    const site = await buildSite(t.ctx, { allowedOrigins: [ORIGIN] });
    const campaign = await buildCampaign(t.ctx, { siteId: site.id, recordCalls: true });
    await buildPool(t.ctx, campaign.id, 1);
    const v = await request(t.app)
      .post('/dni/v1/sessions')
      .set('Origin', ORIGIN)
      .send({ siteKey: site.siteKey, landingUrl: `${ORIGIN}/?utm_source=bing&utm_medium=cpc` })
      .expect(200);
    const placed = await carrierFor(t.app, clock).placeCall({
      from: `+130355501${40 + outcomes.indexOf(outcome)}`,
      to: v.body.number.e164,
      outcome,
      fromZip: '80202',
      ringSeconds: 9,
      talkSeconds: 130,
    });
    const baseline = await finalRecord(placed.callSid);
    expect(baseline).toMatchObject({
      attribution: 'exact',
      sessionId: v.body.sessionId,
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
