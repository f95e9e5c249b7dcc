import request from 'supertest';
import { createTestContext, type TestContext } from './support/context';
import { ManualClock } from './support/clock';
import { carrierFor, PUBLIC_BASE_URL } from './support/carrier';
import { buildTrackedCampaign, postSignedWebhook, visitorHoldingNumber } from './support/factories';
import { cutPostgres, stallDatabase } from './support/outage';

const FALLBACK = '+14155550166';
const clock = new ManualClock('2026-06-01T15:00:00Z');
let t: TestContext;

beforeAll(async () => {
  t = await createTestContext({ twilio: true, env: { VOICE_DEADLINE_MS: '400' }, clock });
});
afterAll(() => t.close());

async function trackedVisit() {
  const { site } = await buildTrackedCampaign(t.ctx, { campaign: { fallbackNumber: FALLBACK } });
  return visitorHoldingNumber(t.app, site.siteKey);
}

async function waitForRecord(callSid: string) {
  for (let i = 0; i < 50; i++) {
    await t.ctx.webhookRetry.flush();
    const res = await request(t.app).get(`/api/v1/calls/${callSid}`).set('Authorization', t.admin);
    const folded = (res.body.events ?? []).some((e: { kind: string }) => e.kind === 'voice');
    // Every webhook the outage held back is in (the dial result may land after the status).
    const drained = t.ctx.webhookRetry.size() === 0;
    if (res.status === 200 && res.body.status === 'completed' && folded && drained) return res.body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`call ${callSid} was never recorded`);
}

describe('never drop a call', () => {
  it('dials the fallback number while the database is stalled, and records the call once it is back', async () => {
    const v = await trackedVisit();
    const stall = await stallDatabase(t.ctx.database, t.databaseUrl);
    let placed;
    try {
      placed = await carrierFor(t.app, clock).placeCall({
        from: '+16175550101',
        to: v.number.e164,
        outcome: 'answered',
        talkSeconds: 80,
      });
    } finally {
      await stall.release();
    }
    expect(placed.dialed).toEqual([FALLBACK]);
    expect(placed.voiceResponse.twiml).toContain(`>${FALLBACK}</Number>`);
    const call = await waitForRecord(placed.callSid);
    expect(call).toMatchObject({
      outcome: 'answered',
      talkSeconds: 80,
      attribution: 'exact',
      sessionId: v.sessionId,
    });
  });

  it('answers the VoiceFallbackUrl with a dial to the fallback number', async () => {
    const v = await trackedVisit();
    const params = {
      CallSid: `CA${'f'.repeat(32)}`,
      AccountSid: `AC${'0123456789abcdef'.repeat(2)}`,
      From: '+16175550102',
      To: v.number.e164,
      CallStatus: 'ringing',
      Direction: 'inbound',
      ErrorCode: '11200',
      ErrorUrl: `${PUBLIC_BASE_URL}/twilio/voice`,
    };
    const res = await postSignedWebhook(t.app, '/twilio/fallback', params).expect(200);
    expect(res.text).toContain(`>${FALLBACK}</Number>`);
  });

  (process.env.DATABASE_URL ? it : it.skip)(
    'dials the fallback number when PostgreSQL refuses connections',
    async () => {
      const v = await trackedVisit();
      const url = t.databaseUrl ?? '';
      const cut = await cutPostgres(url);
      let placed;
      try {
        placed = await carrierFor(t.app, clock).placeCall({
          from: '+16175550103',
          to: v.number.e164,
          outcome: 'no-answer',
        });
      } finally {
        await cut.restore();
      }
      expect(placed.dialed).toEqual([FALLBACK]);
      const call = await waitForRecord(placed.callSid);
      expect(call).toMatchObject({
        outcome: 'missed',
        attribution: 'exact',
        sessionId: v.sessionId,
      });
    },
  );
});
