import request from 'supertest';
import { createTestContext, type TestContext } from './support/context';
import { ManualClock } from './support/clock';
import { carrierFor, PUBLIC_BASE_URL } from './support/carrier';
import { buildCampaign, buildPool, buildSite } from './support/factories';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from './support/twilio';
import { signTwilioRequest } from '../src/shared/twilio';

const clock = new ManualClock('2026-06-01T15:00:00Z');
let t: TestContext;
let callerSeq = 0;
const newCaller = () => `+1312556${String(1000 + ++callerSeq).padStart(4, '0')}`;
let sidSeq = 0;
const newCallSid = () => `CA${(++sidSeq).toString(16).padStart(8, '0')}${'ab'.repeat(12)}`;

beforeAll(async () => {
  t = await createTestContext({ twilio: true, clock });
});
afterAll(() => t.close());

const api = () => ({
  get: (path: string) => request(t.app).get(path).set('Authorization', t.admin),
  patch: (path: string) => request(t.app).patch(path).set('Authorization', t.admin),
});

async function campaignWithNumber(transcription: boolean) {
  const site = await buildSite(t.ctx);
  const campaign = await buildCampaign(t.ctx, { siteId: site.id, fallbackNumber: '+14155550177' });
  const [number] = await buildPool(t.ctx, campaign.id, 1);
  if (!number) throw new Error('no number provisioned');
  if (transcription) {
    const res = await api()
      .patch(`/api/v1/campaigns/${campaign.id}`)
      .send({ transcription: true })
      .expect(200);
    expect(res.body.transcription).toBe(true);
  }
  return { site, campaign, to: number.e164 };
}

type Utterances = { track: 'inbound' | 'outbound'; text: string }[];
async function placeCall(to: string, utterances?: Utterances) {
  clock.advance(60_000);
  return carrierFor(t.app, clock).placeCall({
    from: newCaller(),
    to,
    outcome: 'answered',
    fromZip: '60601',
    ringSeconds: 5,
    talkSeconds: 200,
    ...(utterances ? { utterances } : {}),
  });
}

/** Posts one transcription callback as Twilio signs it (or forged, with another token). */
function postTranscription(params: Record<string, string>, token = TEST_AUTH_TOKEN) {
  const url = `${PUBLIC_BASE_URL}/twilio/transcription`;
  return request(t.app)
    .post('/twilio/transcription')
    .type('form')
    .set('X-Twilio-Signature', signTwilioRequest(token, url, params))
    .send(new URLSearchParams(params).toString());
}

const content = (
  callSid: string,
  sequence: number,
  text: string,
  o: { track?: 'inbound_track' | 'outbound_track'; final?: boolean } = {},
) => ({
  AccountSid: TEST_ACCOUNT_SID,
  CallSid: callSid,
  TranscriptionSid: `GT${'0'.repeat(32)}`,
  Timestamp: clock.now().toISOString(),
  SequenceId: String(sequence),
  TranscriptionEvent: 'transcription-content',
  LanguageCode: 'en-US',
  Track: o.track ?? 'inbound_track',
  TranscriptionData: JSON.stringify({ transcript: text, confidence: 0.93 }),
  Final: o.final === false ? 'false' : 'true',
});

const transcriptOf = async (callSid: string) =>
  (await t.ctx.transcripts.transcriptsOf([callSid])).get(callSid) ?? [];

async function waitFor<T>(check: () => Promise<T | undefined>, what: string, ms = 15_000) {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Explained {
  rule: string;
  points: number;
  facts: Record<string, unknown>;
}
interface Score {
  score: number;
  label: string;
  explanation: Explained[];
}
/** The call's score once `ready` holds for it. */
const scoreWhen = (sid: string, ready: (s: Score) => boolean, what: string) =>
  waitFor(async () => {
    const res = await api().get(`/api/v1/calls/${sid}`).expect(200);
    const score = res.body.score as Score | null;
    return score && ready(score) ? score : undefined;
  }, what);

describe('<Start><Transcription> in the call answer', () => {
  it('starts transcription of both tracks before the Dial only when the campaign turns it on', async () => {
    const on = await campaignWithNumber(true);
    const off = await campaignWithNumber(false);

    const withIt = (await placeCall(on.to)).voiceResponse.twiml;
    const without = (await placeCall(off.to)).voiceResponse.twiml;

    expect(withIt).toMatch(
      /<Start><Transcription statusCallbackUrl="https:\/\/leadline\.test\/twilio\/transcription" statusCallbackMethod="POST" track="both_tracks"\/><\/Start><Dial/,
    );
    expect(without).toContain('<Dial');
    expect(without).not.toContain('<Start');
    expect(without).not.toContain('Transcription');
  });

  it('stops starting it once the campaign turns it off again', async () => {
    const { campaign, to } = await campaignWithNumber(true);
    await api()
      .patch(`/api/v1/campaigns/${campaign.id}`)
      .send({ transcription: false })
      .expect(200);
    expect((await placeCall(to)).voiceResponse.twiml).not.toContain('<Start');
  });

  it('refuses a transcription setting that is not a boolean, naming it', async () => {
    const { campaign } = await campaignWithNumber(false);
    const res = await api()
      .patch(`/api/v1/campaigns/${campaign.id}`)
      .send({ transcription: 'yes' })
      .expect(400);
    expect(JSON.stringify(res.body.error)).toContain('transcription');
  });
});

describe('POST /twilio/transcription', () => {
  it('keeps each final utterance once, in spoken order, whatever the order and retries', async () => {
    const callSid = newCallSid();
    const sends = [
      content(callSid, 4, 'Ten works for me.', { track: 'outbound_track' }),
      content(callSid, 2, 'I would like to book a time.'),
      content(callSid, 4, 'Ten works for me.', { track: 'outbound_track' }),
      content(callSid, 3, 'Tuesday at ten?', { track: 'outbound_track' }),
      content(callSid, 2, 'I would like to book a time.'),
    ];
    for (const params of sends) await postTranscription(params).expect(204);

    expect(await transcriptOf(callSid)).toEqual([
      { track: 'inbound', sequence: 2, text: 'I would like to book a time.' },
      { track: 'outbound', sequence: 3, text: 'Tuesday at ten?' },
      { track: 'outbound', sequence: 4, text: 'Ten works for me.' },
    ]);
  });

  it('ignores partial results, empty utterances and events without content', async () => {
    const callSid = newCallSid();
    await postTranscription(content(callSid, 2, 'I want to', { final: false })).expect(204);
    await postTranscription(content(callSid, 3, '   ')).expect(204);
    for (const event of ['transcription-started', 'transcription-error']) {
      await postTranscription({
        AccountSid: TEST_ACCOUNT_SID,
        CallSid: callSid,
        TranscriptionEvent: event,
        SequenceId: '1',
      }).expect(204);
    }
    expect(await transcriptOf(callSid)).toEqual([]);
  });

  it('answers 403 to a forged callback and stores nothing', async () => {
    const callSid = newCallSid();
    const res = await postTranscription(content(callSid, 2, 'appointment'), 'not-the-token');
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('invalid_signature');
    expect(await transcriptOf(callSid)).toEqual([]);
  });

  it.each([
    ['SequenceId', { SequenceId: 'two' }],
    ['Track', { Track: 'left_track' }],
    ['Final', { Final: 'maybe' }],
    ['TranscriptionData', { TranscriptionData: 'not json' }],
    ['TranscriptionData', { TranscriptionData: JSON.stringify({ text: 'no transcript' }) }],
    ['CallSid', { CallSid: 'CA123' }],
  ])('answers 400 naming %s when it is malformed, and stores nothing', async (field, bad) => {
    const callSid = newCallSid();
    const res = await postTranscription({ ...content(callSid, 2, 'appointment'), ...bad });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.message).toContain(field);
    expect(await transcriptOf(callSid)).toEqual([]);
  });

  it('keeps a final utterance whose confidence is not a 0–1 number instead of refusing it', async () => {
    const callSid = newCallSid();
    for (const [k, confidence] of [
      [2, 1.7],
      [3, 'high'],
    ] as const) {
      const params = content(callSid, k, `utterance ${k}`);
      params.TranscriptionData = JSON.stringify({ transcript: `utterance ${k}`, confidence });
      await postTranscription(params).expect(204);
    }
    expect((await transcriptOf(callSid)).map((u) => u.text)).toEqual([
      'utterance 2',
      'utterance 3',
    ]);
  });

  it('answers 400 naming TranscriptionEvent when it is missing', async () => {
    const params: Record<string, string> = { ...content(newCallSid(), 2, 'hello') };
    delete params.TranscriptionEvent;
    const res = await postTranscription(params).expect(400);
    expect(res.body.error.message).toContain('TranscriptionEvent');
  });
});

describe('key terms in the score', () => {
  it("scores a simulated call's transcript and quotes the utterance that said the key term", async () => {
    const { to } = await campaignWithNumber(true);
    const placed = await placeCall(to, [
      { track: 'outbound', text: 'Thanks for calling, how can I help?' },
      { track: 'inbound', text: "I'd like to schedule an Appointment for Tuesday." },
      { track: 'inbound', text: 'And how much is a quote, roughly?' },
    ]);
    const callbacks = placed.deliveries.filter((d) => d.kind === 'transcription');
    expect(callbacks.every((d) => d.status === 204)).toBe(true);
    expect(callbacks.some((d) => d.duplicate)).toBe(true);
    expect(callbacks.some((d) => d.params.Final === 'false')).toBe(true);

    // Three final utterances, each once: the partial result and the retry left no trace.
    const transcript = await waitFor(async () => {
      const list = await transcriptOf(placed.callSid);
      return list.length === 3 ? list : undefined;
    }, 'the transcript');
    expect(transcript.map((u) => u.text)).toEqual([
      'Thanks for calling, how can I help?',
      "I'd like to schedule an Appointment for Tuesday.",
      'And how much is a quote, roughly?',
    ]);

    // Utterances may arrive in any order and each one rescores the call: wait for the score that
    // has read the whole transcript (an earlier one may have seen only some of it).
    const score = await scoreWhen(
      placed.callSid,
      (s) =>
        s.explanation.some((e) => e.rule === 'asked-price') &&
        s.explanation.some((e) => e.rule === 'wants-appointment'),
      'the key-term score',
    );
    expect(score.explanation.find((e) => e.rule === 'wants-appointment')).toMatchObject({
      points: 15,
      facts: {
        term: 'appointment',
        utterance: "I'd like to schedule an Appointment for Tuesday.",
        track: 'inbound',
      },
    });
    expect(score.explanation.find((e) => e.rule === 'asked-price')?.facts).toMatchObject({
      term: 'quote',
      utterance: 'And how much is a quote, roughly?',
    });
  });

  it('rescores a finished call when a transcript arrives after it, changing the score', async () => {
    const { to } = await campaignWithNumber(true);
    const placed = await placeCall(to);
    const before = await scoreWhen(placed.callSid, () => true, 'the first score');
    expect(before.explanation.map((e) => e.rule)).not.toContain('wants-to-cancel');

    await postTranscription(content(placed.callSid, 2, 'I need to cancel my visit.')).expect(204);
    await postTranscription({
      AccountSid: TEST_ACCOUNT_SID,
      CallSid: placed.callSid,
      TranscriptionEvent: 'transcription-stopped',
      SequenceId: '3',
    }).expect(204);

    const after = await scoreWhen(
      placed.callSid,
      (s) => s.explanation.some((e) => e.rule === 'wants-to-cancel'),
      'the rescore',
    );
    expect(after.score).toBe(Math.max(0, before.score - 25));
    expect(after.explanation.find((e) => e.rule === 'wants-to-cancel')?.facts).toEqual({
      term: 'cancel',
      utterance: 'I need to cancel my visit.',
      track: 'inbound',
    });
  });
});
