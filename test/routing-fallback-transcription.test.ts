import request from 'supertest';
import { CONSENT_NOTICE } from '../src/privacy/consent';
import { createTestContext, type TestContext } from './support/context';
import { ManualClock } from './support/clock';
import { buildTrackedCampaign, postSignedWebhook } from './support/factories';
import { stallDatabase } from './support/outage';
import { TEST_ACCOUNT_SID } from './support/twilio';

const FALLBACK = '+14155550161';
const clock = new ManualClock('2026-06-01T15:00:00Z');
let t: TestContext;

beforeAll(async () => {
  t = await createTestContext({ twilio: true, env: { VOICE_DEADLINE_MS: '400' }, clock });
});
afterAll(() => t.close());

let sidSeq = 0;
const newSid = () => `CA${(0xf0000000 + ++sidSeq).toString(16)}${'4'.repeat(24)}`;

/** A tracking number whose campaign has these settings, known to the number directory. */
async function trackingNumber(settings: { transcription: boolean; recordingConsent?: string }) {
  const { campaign, numbers } = await buildTrackedCampaign(t.ctx, {
    campaign: { fallbackNumber: FALLBACK },
  });
  await request(t.app)
    .patch(`/api/v1/campaigns/${campaign.id}`)
    .set('Authorization', t.admin)
    .send(settings)
    .expect(200);
  const e164 = numbers[0]?.e164 ?? '';
  expect((await t.ctx.directory.lookup(e164))?.transcription).toBe(settings.transcription);
  return e164;
}

const callParams = (to: string, fromState: string) => ({
  CallSid: newSid(),
  AccountSid: TEST_ACCOUNT_SID,
  From: '+16175550144',
  To: to,
  FromState: fromState,
  CallStatus: 'ringing',
  Direction: 'inbound',
});

/** The voice webhook's answer while the database does not answer: routing's deadline fallback. */
async function answerDuringStall(to: string, fromState = 'NY') {
  const stall = await stallDatabase(t.ctx.database, t.databaseUrl);
  try {
    return (await postSignedWebhook(t.app, '/twilio/voice', callParams(to, fromState)).expect(200))
      .text;
  } finally {
    await stall.release();
    await t.ctx.webhookRetry.flush();
  }
}

const START_TRANSCRIPTION =
  '<Start><Transcription statusCallbackUrl="https://leadline.test/twilio/transcription" ' +
  'statusCallbackMethod="POST" track="both_tracks"/></Start>';

describe('the deadline fallback answer', () => {
  it('starts real-time transcription before dialling the fallback when the campaign transcribes', async () => {
    const to = await trackingNumber({ transcription: true });
    const twiml = await answerDuringStall(to);
    expect(twiml).toContain(START_TRANSCRIPTION);
    expect(twiml.indexOf('<Start>')).toBeLessThan(twiml.indexOf('<Dial'));
    expect(twiml).toContain(`>${FALLBACK}</Number>`);
    // New York is not an all-party consent state: no notice under the default setting.
    expect(twiml).not.toContain(CONSENT_NOTICE);
    // The fallback leg is not recorded, and nobody is whispered.
    expect(twiml).not.toContain('record=');
    expect(twiml).not.toContain('/twilio/whisper');
  });

  it('says the consent notice first when the caller is in an all-party consent state', async () => {
    const to = await trackingNumber({ transcription: true, recordingConsent: 'all-party-states' });
    const twiml = await answerDuringStall(to, 'CA');
    expect(twiml.indexOf(CONSENT_NOTICE)).toBeGreaterThan(-1);
    expect(twiml.indexOf(CONSENT_NOTICE)).toBeLessThan(twiml.indexOf('<Start>'));
    expect(twiml).toContain(`>${FALLBACK}</Number>`);
  });

  it('starts nothing for a campaign without transcription', async () => {
    const to = await trackingNumber({ transcription: false, recordingConsent: 'always' });
    const twiml = await answerDuringStall(to, 'CA');
    expect(twiml).toContain(`>${FALLBACK}</Number>`);
    expect(twiml).not.toContain('<Start>');
    expect(twiml).not.toContain(CONSENT_NOTICE);
  });

  it('starts transcription in the answer to the number’s VoiceFallbackUrl too', async () => {
    const to = await trackingNumber({ transcription: true });
    const res = await postSignedWebhook(t.app, '/twilio/fallback', {
      ...callParams(to, 'TX'),
      ErrorCode: '11200',
      ErrorUrl: 'https://leadline.test/twilio/voice',
    }).expect(200);
    expect(res.text).toContain(START_TRANSCRIPTION);
    expect(res.text).toContain(`>${FALLBACK}</Number>`);
  });
});
