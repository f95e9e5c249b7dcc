import request from 'supertest';
import { sql } from 'drizzle-orm';
import { createTestContext, type TestContext } from './support/context';
import { ManualClock } from './support/clock';
import { carrierFor, PUBLIC_BASE_URL } from './support/carrier';
import { buildTrackedCampaign, TEST_ORIGIN, visitorHoldingNumber } from './support/factories';
import { signTwilioRequest } from '../src/shared/twilio';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from './support/twilio';
import type { CallOutcome } from '../src/demo/carrier/simulator';

const clock = new ManualClock('2026-06-01T15:00:00Z');
let t: TestContext;
let callerSeq = 0;
const newCaller = () => `+1206555${String(1000 + ++callerSeq).padStart(4, '0')}`;

beforeAll(async () => {
  t = await createTestContext({ twilio: true, env: { DNI_RATE_LIMIT_PER_MINUTE: '10000' }, clock });
});
afterAll(() => t.close());

const campaignWithPool = (size = 2, holdSeconds = 1800) =>
  buildTrackedCampaign(t.ctx, {
    poolSize: size,
    campaign: { holdSeconds, fallbackNumber: '+14155550177' },
  });

const visit = (
  siteKey: string,
  landingUrl = `${TEST_ORIGIN}/?utm_source=google&utm_medium=cpc&utm_term=plumber`,
) => visitorHoldingNumber(t.app, siteKey, { landingUrl, referrer: 'https://www.google.com/' });

const getCall = async (sid: string) =>
  (await request(t.app).get(`/api/v1/calls/${sid}`).set('Authorization', t.admin).expect(200)).body;

const count = async (table: string) =>
  (await t.ctx.database.rows<{ n: number }>(sql.raw(`select count(*)::int as n from ${table}`)))[0]
    ?.n ?? 0;

function signedVoice(params: Record<string, string>, signature?: string) {
  const req = request(t.app).post('/twilio/voice').type('form').send(params);
  if (signature !== undefined) req.set('X-Twilio-Signature', signature);
  return req;
}

describe('Twilio signatures', () => {
  const params = {
    CallSid: `CA${'a'.repeat(32)}`,
    AccountSid: TEST_ACCOUNT_SID,
    From: '+12065550100',
    To: '+14155550100',
    CallStatus: 'ringing',
    Direction: 'inbound',
  };

  it('answers a correctly signed voice webhook with TwiML', async () => {
    const sig = signTwilioRequest(TEST_AUTH_TOKEN, `${PUBLIC_BASE_URL}/twilio/voice`, params);
    const res = await signedVoice(params, sig).expect(200);
    expect(res.headers['content-type']).toMatch(/text\/xml/);
    expect(res.text).toContain('<Response>');
  });

  it.each([
    ['missing', undefined],
    ['wrong', 'bm90IGEgc2lnbmF0dXJl'],
    [
      'signed for another URL',
      signTwilioRequest(TEST_AUTH_TOKEN, 'https://evil.test/twilio/voice', params),
    ],
    [
      'signed with another token',
      signTwilioRequest('other-token', `${PUBLIC_BASE_URL}/twilio/voice`, params),
    ],
  ])('refuses a %s signature with 403 and writes nothing', async (_name, sig) => {
    const before = [await count('calls'), await count('call_events')];
    const res = await signedVoice({ ...params, CallSid: `CA${'b'.repeat(32)}` }, sig).expect(403);
    expect(res.body.error.code).toBe('invalid_signature');
    expect([await count('calls'), await count('call_events')]).toEqual(before);
  });

  it('refuses a tampered parameter', async () => {
    const sig = signTwilioRequest(TEST_AUTH_TOKEN, `${PUBLIC_BASE_URL}/twilio/voice`, params);
    await signedVoice({ ...params, From: '+19005550100' }, sig).expect(403);
  });

  it('answers a signed webhook with a malformed CallSid with 400 and writes nothing', async () => {
    const bad = { ...params, CallSid: 'not-a-sid' };
    const before = await count('call_events');
    const res = await signedVoice(
      bad,
      signTwilioRequest(TEST_AUTH_TOKEN, `${PUBLIC_BASE_URL}/twilio/voice`, bad),
    ).expect(400);
    expect(res.body.error.message).toContain('CallSid');
    expect(await count('call_events')).toBe(before);
  });
});

describe('call outcomes', () => {
  const cases: [CallOutcome, Record<string, unknown>][] = [
    ['answered', { status: 'completed', outcome: 'answered', dialStatus: 'completed' }],
    ['busy', { status: 'completed', outcome: 'busy', dialStatus: 'busy' }],
    ['no-answer', { status: 'completed', outcome: 'missed', dialStatus: 'no-answer' }],
    ['voicemail', { status: 'completed', outcome: 'voicemail', dialStatus: 'no-answer' }],
    ['failed', { status: 'completed', outcome: 'failed', dialStatus: 'failed' }],
    ['canceled', { status: 'completed' }],
  ];

  it.each(cases)('records a %s call with its final state', async (outcome, expected) => {
    const { numbers } = await campaignWithPool(1);
    const carrier = carrierFor(t.app, clock);
    const placed = await carrier.placeCall({
      from: newCaller(),
      to: numbers[0]?.e164 ?? '',
      outcome,
      fromZip: '98101',
      ringSeconds: 6,
      talkSeconds: 95,
    });
    expect(placed.dialed).toEqual(['+14155550177']);
    expect(placed.deliveries.every((d) => d.status < 300)).toBe(true);
    const call = await getCall(placed.callSid);
    expect(call).toMatchObject({ ...expected, status: placed.expected.status });
    expect(call.durationSeconds).toBe(placed.expected.durationSeconds);
    // Twilio sends caller cities in capitals.
    expect(call.caller).toMatchObject({ city: 'SEATTLE', state: 'WA', zip: '98101' });
    if (outcome === 'answered') {
      expect(call.talkSeconds).toBe(95);
      expect(call.ringSeconds).toBe(6);
      expect(call.answeredBy).toBe('+14155550177');
    }
    if (outcome === 'voicemail') expect(call.recording?.url).toMatch(/^https:\/\//);
    if (placed.childCallSid) {
      expect(call.legs.map((l: { callSid: string }) => l.callSid)).toEqual([placed.childCallSid]);
    }
  });

  it('attaches the dialled child leg to its parent and lists only parents', async () => {
    const { campaign, numbers } = await campaignWithPool(1);
    const placed = await carrierFor(t.app, clock).placeCall({
      from: newCaller(),
      to: numbers[0]?.e164 ?? '',
      outcome: 'answered',
    });
    const child = await request(t.app)
      .get(`/api/v1/calls/${placed.childCallSid}`)
      .set('Authorization', t.admin)
      .expect(200);
    expect(child.body.status).toBe('completed');
    const list = await request(t.app)
      .get(`/api/v1/calls?campaignId=${campaign.id}`)
      .set('Authorization', t.admin)
      .expect(200);
    expect(list.body.calls.map((c: { callSid: string }) => c.callSid)).toEqual([placed.callSid]);
  });
});

describe('attribution', () => {
  it('ties a call to the one visitor holding the number: exact', async () => {
    const { site } = await campaignWithPool(2);
    const v = await visit(site.siteKey);
    clock.advance(5 * 60_000);
    const placed = await carrierFor(t.app, clock).placeCall({
      from: newCaller(),
      to: v.number.e164,
      outcome: 'answered',
    });
    const call = await getCall(placed.callSid);
    expect(call).toMatchObject({
      attribution: 'exact',
      sessionId: v.sessionId,
      visitorId: v.visitorId,
      source: 'google',
      medium: 'cpc',
      keyword: 'plumber',
      attributionCandidates: null,
    });
  });

  it('flags a call to a shared (overflow) number as ambiguous and keeps the candidates', async () => {
    const { site } = await campaignWithPool(1);
    const a = await visit(site.siteKey);
    const b = await visit(site.siteKey);
    expect(b.number.e164).toBe(a.number.e164);
    const placed = await carrierFor(t.app, clock).placeCall({
      from: newCaller(),
      to: a.number.e164,
      outcome: 'answered',
    });
    const call = await getCall(placed.callSid);
    expect(call.attribution).toBe('ambiguous');
    expect([...call.attributionCandidates].sort()).toEqual([a.sessionId, b.sessionId].sort());
  });

  it('marks a call just after the lease ended as expired', async () => {
    const { site } = await campaignWithPool(2, 600);
    const v = await visit(site.siteKey);
    clock.advance(610_000);
    const placed = await carrierFor(t.app, clock).placeCall({
      from: newCaller(),
      to: v.number.e164,
      outcome: 'answered',
    });
    expect(await getCall(placed.callSid)).toMatchObject({
      attribution: 'expired',
      sessionId: v.sessionId,
    });
  });

  it('attributes nothing when no visit held the number', async () => {
    const { numbers, campaign } = await campaignWithPool(1);
    const placed = await carrierFor(t.app, clock).placeCall({
      from: newCaller(),
      to: numbers[0]?.e164 ?? '',
      outcome: 'answered',
    });
    expect(await getCall(placed.callSid)).toMatchObject({
      attribution: 'none',
      sessionId: null,
      campaignId: campaign.id,
    });
  });
});

describe('callers', () => {
  it('tells a first-time caller from a repeat caller', async () => {
    const { numbers } = await campaignWithPool(1);
    const from = newCaller();
    const carrier = carrierFor(t.app, clock);
    const first = await carrier.placeCall({
      from,
      to: numbers[0]?.e164 ?? '',
      outcome: 'answered',
    });
    clock.advance(3600_000);
    const second = await carrier.placeCall({
      from,
      to: numbers[0]?.e164 ?? '',
      outcome: 'answered',
    });
    expect(await getCall(first.callSid)).toMatchObject({ firstTime: true, previousCalls: 0 });
    expect(await getCall(second.callSid)).toMatchObject({ firstTime: false, previousCalls: 1 });
  });

  it('counts a caller outside the repeat window as first-time again', async () => {
    const { numbers } = await campaignWithPool(1);
    const from = newCaller();
    const carrier = carrierFor(t.app, clock);
    await carrier.placeCall({ from, to: numbers[0]?.e164 ?? '', outcome: 'answered' });
    clock.advance(31 * 86_400_000);
    const later = await carrier.placeCall({
      from,
      to: numbers[0]?.e164 ?? '',
      outcome: 'answered',
    });
    expect(await getCall(later.callSid)).toMatchObject({ firstTime: true, previousCalls: 1 });
  });

  it('rejects a blocked prefix with <Reject/> and records the attempt as spam', async () => {
    const { numbers } = await campaignWithPool(1);
    await request(t.app)
      .post('/api/v1/blocked-numbers')
      .set('Authorization', t.admin)
      .send({ pattern: '+1900', reason: 'premium robocalls' })
      .expect(201);
    const placed = await carrierFor(t.app, clock).placeCall({
      from: '+19005550123',
      to: numbers[0]?.e164 ?? '',
      outcome: 'answered',
    });
    expect(placed.rejected).toBe(true);
    expect(placed.voiceResponse.twiml).toContain('<Reject');
    expect(await getCall(placed.callSid)).toMatchObject({ spam: true, outcome: 'spam' });
  });

  it('answers a call to a number Leadline does not own politely and records it', async () => {
    const placed = await carrierFor(t.app, clock).placeCall({
      from: newCaller(),
      to: '+13125550000',
      outcome: 'answered',
    });
    expect(placed.voiceResponse.status).toBe(200);
    expect(placed.voiceResponse.twiml).toContain('not in service');
    expect(await getCall(placed.callSid)).toMatchObject({ campaignId: null, attribution: 'none' });
  });
});

describe('GET /api/v1/calls', () => {
  it('filters by status and pages with a cursor', async () => {
    const { campaign, numbers } = await campaignWithPool(1);
    const carrier = carrierFor(t.app, clock);
    const sids = [];
    for (let i = 0; i < 3; i++) {
      clock.advance(60_000);
      sids.push(
        (
          await carrier.placeCall({
            from: newCaller(),
            to: numbers[0]?.e164 ?? '',
            outcome: 'answered',
          })
        ).callSid,
      );
    }
    const page1 = await request(t.app)
      .get(`/api/v1/calls?campaignId=${campaign.id}&limit=2&status=completed`)
      .set('Authorization', t.admin)
      .expect(200);
    expect(page1.body.calls.map((c: { callSid: string }) => c.callSid)).toEqual([sids[2], sids[1]]);
    const page2 = await request(t.app)
      .get(`/api/v1/calls?campaignId=${campaign.id}&limit=2&cursor=${page1.body.nextCursor}`)
      .set('Authorization', t.admin);
    expect(page2.body.error).toBeUndefined();
    expect(page2.body.calls.map((c: { callSid: string }) => c.callSid)).toEqual([sids[0]]);
    expect(page2.body.nextCursor).toBeNull();
  });

  it.each([
    ['since=yesterday'],
    ['status=ringingish'],
    ['limit=0'],
    ['campaignId=7'],
    ['cursor=%%%'],
  ])('rejects %s with 400', async (q) => {
    const res = await request(t.app)
      .get(`/api/v1/calls?${q}`)
      .set('Authorization', t.admin)
      .expect(400);
    expect(res.body.error.code).toBe('validation_failed');
  });

  it('answers 404 for an unknown call and 400 for a malformed sid', async () => {
    await request(t.app)
      .get(`/api/v1/calls/CA${'0'.repeat(32)}`)
      .set('Authorization', t.admin)
      .expect(404);
    await request(t.app).get('/api/v1/calls/nope').set('Authorization', t.admin).expect(400);
  });
});

describe('/api/v1/blocked-numbers', () => {
  it('lists, unblocks, and rejects a pattern that is not E.164', async () => {
    const bad = await request(t.app)
      .post('/api/v1/blocked-numbers')
      .set('Authorization', t.admin)
      .send({ pattern: '900*' })
      .expect(400);
    expect(bad.body.error.message).toContain('pattern');
    const added = await request(t.app)
      .post('/api/v1/blocked-numbers')
      .set('Authorization', t.admin)
      .send({ pattern: '+18885550000' })
      .expect(201);
    const listed = await request(t.app)
      .get('/api/v1/blocked-numbers')
      .set('Authorization', t.admin)
      .expect(200);
    expect(listed.body.blocked.map((b: { pattern: string }) => b.pattern)).toContain(
      '+18885550000',
    );
    await request(t.app)
      .delete(`/api/v1/blocked-numbers/${added.body.id}`)
      .set('Authorization', t.admin)
      .expect(204);
    await request(t.app)
      .delete(`/api/v1/blocked-numbers/${added.body.id}`)
      .set('Authorization', t.admin)
      .expect(404);
    const after = await request(t.app).get('/api/v1/blocked-numbers').set('Authorization', t.admin);
    expect(after.body.blocked.map((b: { pattern: string }) => b.pattern)).not.toContain(
      '+18885550000',
    );
  });
});
