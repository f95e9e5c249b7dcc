import request from 'supertest';
import { createTestContext, type TestContext } from './support/context';
import { buildTrackedCampaign, postSignedWebhook } from './support/factories';
import { TEST_ACCOUNT_SID } from './support/twilio';

let t: TestContext;

beforeAll(async () => {
  t = await createTestContext({ twilio: true });
});
afterAll(() => t.close());

describe('the agent’s whisper', () => {
  it('dials the agent with a signed whisper naming the campaign, and not the fallback number', async () => {
    const { campaign, numbers } = await buildTrackedCampaign(t.ctx);
    const agent = await request(t.app)
      .post('/api/v1/agents')
      .set('Authorization', t.admin)
      .send({
        name: 'Whisper',
        phone: '+13035550911',
        zip: '80202',
        timezone: 'America/Denver',
        campaignIds: [campaign.id],
      })
      .expect(201);
    await t.ctx.agents.setPresence(agent.body.id, 'available');
    const callSid = `CA${'e'.repeat(32)}`;
    const answer = await postSignedWebhook(t.app, '/twilio/voice', {
      CallSid: callSid,
      AccountSid: TEST_ACCOUNT_SID,
      From: '+13035550999',
      To: numbers[0]?.e164 ?? '',
      CallStatus: 'ringing',
      Direction: 'inbound',
    }).expect(200);
    const whisperUrl = `https://leadline.test/twilio/whisper/${callSid}`;
    expect(answer.text).toContain(`url="${whisperUrl}"`);
    expect(answer.text).toContain('+13035550911</Number>');

    const params = {
      CallSid: `CA${'7'.repeat(32)}`,
      ParentCallSid: callSid,
      AccountSid: TEST_ACCOUNT_SID,
      CallStatus: 'in-progress',
    };
    const whisper = await postSignedWebhook(t.app, `/twilio/whisper/${callSid}`, params).expect(
      200,
    );
    expect(whisper.text).toContain(
      `<Say voice="Polly.Joanna">Leadline call from ${campaign.name}</Say>`,
    );
    await request(t.app).post(`/twilio/whisper/${callSid}`).type('form').send(params).expect(403);

    // Nobody answers: the fallback number rings without a whisper (it is not an agent).
    const next = await postSignedWebhook(t.app, '/twilio/dial-status', {
      CallSid: callSid,
      AccountSid: TEST_ACCOUNT_SID,
      To: numbers[0]?.e164 ?? '',
      From: '+13035550999',
      CallStatus: 'in-progress',
      DialCallStatus: 'no-answer',
      DialCallSid: `CA${'6'.repeat(32)}`,
      DialCallDuration: '0',
    }).expect(200);
    expect(next.text).toContain(`${campaign.fallbackNumber}</Number>`);
    expect(next.text).not.toContain('/twilio/whisper/');
  });
});
