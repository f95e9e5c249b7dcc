import request from 'supertest';
import { createTestContext, type TestContext } from './support/context';
import { ManualClock } from './support/clock';
import { buildTrackedCampaign, postSignedWebhook } from './support/factories';
import { TEST_ACCOUNT_SID } from './support/twilio';

const clock = new ManualClock('2026-06-01T15:00:00Z');
const CALLER = '+12065550188';
const FALLBACK = '+14155550177';
let t: TestContext;

beforeAll(async () => {
  t = await createTestContext({ twilio: true, clock });
});
afterAll(() => t.close());

let sidSeq = 0;
const newSid = () => `CA${(0xc0000000 + ++sidSeq).toString(16)}${'3'.repeat(24)}`;

/** A call to the tracking number: the first answer dials an agent or the fallback number. */
async function incoming(to: string) {
  const callSid = newSid();
  const res = await postSignedWebhook(t.app, '/twilio/voice', {
    CallSid: callSid,
    AccountSid: TEST_ACCOUNT_SID,
    To: to,
    From: CALLER,
    CallStatus: 'ringing',
    Direction: 'inbound',
    FromZip: '60601',
  }).expect(200);
  return { callSid, twiml: res.text };
}

/** A call nobody answered: the fallback rang out, then voicemail, then the caller hung up. */
async function missedCall(to: string) {
  const { callSid } = await incoming(to);
  const base = { CallSid: callSid, AccountSid: TEST_ACCOUNT_SID, To: to, From: CALLER };
  await postSignedWebhook(t.app, '/twilio/dial-status', {
    ...base,
    CallStatus: 'in-progress',
    DialCallStatus: 'no-answer',
    DialCallSid: `CA${'6'.repeat(8)}${callSid.slice(10)}`,
  }).expect(200);
  await postSignedWebhook(t.app, '/twilio/status', {
    ...base,
    CallStatus: 'completed',
    CallDuration: '20',
    Direction: 'inbound',
  }).expect(204);
  return callSid;
}

/** Twilio's status callback for a callback leg Leadline placed. */
const legStatus = (callSid: string, leg: string, status: string) =>
  postSignedWebhook(t.app, `/twilio/follow-ups/${callSid}/status`, {
    CallSid: leg,
    AccountSid: TEST_ACCOUNT_SID,
    CallStatus: status,
    Direction: 'outbound-api',
  }).expect(204);

const agentOnCall = async (id: string) =>
  (await request(t.app).get(`/api/v1/agents/${id}`).set('Authorization', t.admin).expect(200)).body
    .onCall as boolean;

describe('POST /twilio/follow-ups/:sid/status', () => {
  it('records how each callback attempt ended and keeps the agent busy only while it lasts', async () => {
    const { numbers } = await buildTrackedCampaign(t.ctx, {
      campaign: { fallbackNumber: FALLBACK },
    });
    const tracking = numbers[0]?.e164 ?? '';
    const missed = await missedCall(tracking);
    const created = await request(t.app)
      .post('/api/v1/agents')
      .set('Authorization', t.admin)
      .send({ name: 'Dee', phone: '+13125550611', zip: '60601', timezone: 'America/Chicago' })
      .expect(201);
    const agentId = (created.body as { id: string }).id;
    await t.ctx.agents.setPresence(agentId, 'available');
    await t.ctx.followUps.claim(missed, agentId);

    // First attempt: Dee is busy from the moment Twilio rings her.
    const first = await t.ctx.followUps.callBack(missed, agentId);
    const firstLeg = first?.callbackCallSid ?? '';
    expect(firstLeg).toMatch(/^CA/);
    expect(await agentOnCall(agentId)).toBe(true);
    const meanwhile = await incoming(tracking);
    expect(meanwhile.twiml).toContain(`>${FALLBACK}</Number>`);
    // She may not start another callback while on this one.
    await expect(t.ctx.followUps.callBack(missed, agentId)).rejects.toMatchObject({
      code: 'agent_busy',
    });

    // Progress events change nothing; the final one records the attempt and frees her.
    await legStatus(missed, firstLeg, 'ringing');
    expect(await agentOnCall(agentId)).toBe(true);
    clock.advance(40_000);
    await legStatus(missed, firstLeg, 'no-answer');
    const afterFirst = await t.ctx.followUps.listFor(agentId);
    expect(afterFirst.find((f) => f.callSid === missed)?.lastCallback).toEqual({
      result: 'no-answer',
      at: clock.now(),
    });
    expect(await agentOnCall(agentId)).toBe(false);
    const routedAgain = await incoming(tracking);
    expect(routedAgain.twiml).toContain('+13125550611</Number>');
    await postSignedWebhook(t.app, '/twilio/status', {
      CallSid: routedAgain.callSid,
      AccountSid: TEST_ACCOUNT_SID,
      To: tracking,
      From: CALLER,
      CallStatus: 'completed',
      CallDuration: '30',
      Direction: 'inbound',
    }).expect(204);
    expect(await agentOnCall(agentId)).toBe(false);

    // Second attempt: the last result is cleared until this one ends.
    clock.advance(60_000);
    const second = await t.ctx.followUps.callBack(missed, agentId);
    const secondLeg = second?.callbackCallSid ?? '';
    expect(secondLeg).not.toBe(firstLeg);
    expect(
      (await t.ctx.followUps.listFor(agentId)).find((f) => f.callSid === missed),
    ).toMatchObject({ lastCallback: null });
    await legStatus(missed, secondLeg, 'in-progress');
    clock.advance(90_000);
    const answeredAt = clock.now();
    await legStatus(missed, secondLeg, 'completed');
    // Twilio's retry later, and the first attempt's callback arriving again, change nothing.
    clock.advance(5_000);
    await legStatus(missed, secondLeg, 'completed');
    await legStatus(missed, firstLeg, 'busy');
    const item = (await t.ctx.followUps.listFor(agentId)).find((f) => f.callSid === missed);
    expect(item?.lastCallback).toEqual({ result: 'answered', at: answeredAt });
    expect(await agentOnCall(agentId)).toBe(false);
  });

  it('refuses an unsigned status callback and one without a CallStatus', async () => {
    await request(t.app)
      .post(`/twilio/follow-ups/${newSid()}/status`)
      .type('form')
      .send({ CallSid: newSid(), CallStatus: 'completed' })
      .expect(403);
    const res = await postSignedWebhook(t.app, `/twilio/follow-ups/${newSid()}/status`, {
      CallSid: newSid(),
      AccountSid: TEST_ACCOUNT_SID,
    }).expect(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'CallStatus' })]);
  });
});
