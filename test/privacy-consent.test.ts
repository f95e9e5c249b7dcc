import request from 'supertest';
import { createTestContext, type TestContext } from './support/context';
import { ManualClock } from './support/clock';
import { buildCampaign, buildPool, buildSite, postSignedWebhook } from './support/factories';
import { TEST_ACCOUNT_SID } from './support/twilio';
import { CONSENT_NOTICE } from '../src/privacy/consent';

const clock = new ManualClock('2026-06-01T15:00:00Z');
let t: TestContext;
let sidSeq = 0;

beforeAll(async () => {
  t = await createTestContext({ twilio: true, clock });
});
afterAll(() => t.close());

const patch = (path: string) => request(t.app).patch(path).set('Authorization', t.admin);

/** A campaign with one tracking number and these settings (unset: the defaults). */
async function campaignWith(settings: Record<string, unknown>) {
  const site = await buildSite(t.ctx);
  const campaign = await buildCampaign(t.ctx, { siteId: site.id, fallbackNumber: '+14155550177' });
  const [number] = await buildPool(t.ctx, campaign.id, 1);
  if (!number) throw new Error('no number provisioned');
  if (Object.keys(settings).length > 0) {
    await patch(`/api/v1/campaigns/${campaign.id}`).send(settings).expect(200);
  }
  return { campaignId: campaign.id, to: number.e164 };
}

/** The TwiML of the first answer to a call from a caller in `state`. */
async function answerFrom(to: string, state: string): Promise<string> {
  const callSid = `CA${(++sidSeq).toString(16).padStart(8, '0')}${'cd'.repeat(12)}`;
  const res = await postSignedWebhook(t.app, '/twilio/voice', {
    AccountSid: TEST_ACCOUNT_SID,
    CallSid: callSid,
    From: '+13125550199',
    To: to,
    FromState: state,
    CallStatus: 'ringing',
    Direction: 'inbound',
  }).expect(200);
  return res.text;
}

const NOTICE_SAY = `<Say voice="Polly.Joanna">${CONSENT_NOTICE}</Say>`;

describe('recording consent notice in the call answer', () => {
  it('says the notice before the Dial to a caller in an all-party state by default', async () => {
    const { to } = await campaignWith({ recordCalls: true });
    const twiml = await answerFrom(to, 'CA');
    expect(twiml).toContain(NOTICE_SAY);
    expect(twiml.indexOf(NOTICE_SAY)).toBeLessThan(twiml.indexOf('<Dial'));
    expect(twiml).toContain('record="record-from-answer-dual"');
  });

  it('says no notice by default to a caller in a one-party state', async () => {
    const { to } = await campaignWith({ recordCalls: true });
    const twiml = await answerFrom(to, 'TX');
    expect(twiml).toContain('<Dial');
    expect(twiml).not.toContain(CONSENT_NOTICE);
  });

  it('says the notice before the greeting and the transcription Start', async () => {
    const { to } = await campaignWith({
      transcription: true,
      greeting: 'Thanks for calling Acme.',
    });
    const twiml = await answerFrom(to, 'wa');
    expect(twiml).toMatch(
      new RegExp(`${NOTICE_SAY}<Say voice="Polly.Joanna">Thanks for calling Acme.</Say><Start>`),
    );
  });

  it("says it to every caller when 'always', and to none when 'off'", async () => {
    const always = await campaignWith({ recordCalls: true, recordingConsent: 'always' });
    const off = await campaignWith({ recordCalls: true, recordingConsent: 'off' });
    expect(await answerFrom(always.to, 'TX')).toContain(NOTICE_SAY);
    expect(await answerFrom(off.to, 'CA')).not.toContain(CONSENT_NOTICE);
  });

  it('says nothing when the campaign neither records nor transcribes, whatever the setting', async () => {
    const { to } = await campaignWith({ recordingConsent: 'always' });
    const twiml = await answerFrom(to, 'CA');
    expect(twiml).toContain('<Dial');
    expect(twiml).not.toContain(CONSENT_NOTICE);
  });

  it('follows a change of the setting on the next call', async () => {
    const { campaignId, to } = await campaignWith({ recordCalls: true });
    expect(await answerFrom(to, 'TX')).not.toContain(CONSENT_NOTICE);
    await patch(`/api/v1/campaigns/${campaignId}`).send({ recordingConsent: 'always' }).expect(200);
    expect(await answerFrom(to, 'TX')).toContain(NOTICE_SAY);
  });
});

describe('PATCH /api/v1/campaigns/:id recordingConsent', () => {
  it("defaults to 'all-party-states' and takes one of the three settings", async () => {
    const { campaignId } = await campaignWith({});
    const read = await request(t.app)
      .get(`/api/v1/campaigns/${campaignId}`)
      .set('Authorization', t.admin)
      .expect(200);
    expect(read.body.recordingConsent).toBe('all-party-states');
    const res = await patch(`/api/v1/campaigns/${campaignId}`)
      .send({ recordingConsent: 'off' })
      .expect(200);
    expect(res.body.recordingConsent).toBe('off');
  });

  it('refuses another value, naming the field', async () => {
    const { campaignId } = await campaignWith({});
    const res = await patch(`/api/v1/campaigns/${campaignId}`)
      .send({ recordingConsent: 'sometimes' })
      .expect(400);
    expect(JSON.stringify(res.body.error)).toContain('recordingConsent');
  });
});
