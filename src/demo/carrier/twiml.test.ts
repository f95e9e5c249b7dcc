import {
  AGENT,
  CALLER,
  PUBLIC,
  sequence,
  TRACKING,
  useCarrierReceiver,
  xml,
} from '../../../test/support/carrier-receiver';
import { parseTwiml, TwimlParseError } from './twiml';

// How the simulator reads TwiML and follows it, checked against a receiver that validates every
// signature (test/support/carrier-receiver.ts).

const receiver = useCarrierReceiver();
const { call, simulator } = receiver;

describe('placeCall: following TwiML', () => {
  it('sends only the completed event when <Number> names no events, and none without a statusCallback', async () => {
    receiver.answers['/twilio/voice'] = xml(
      `<Dial><Number statusCallback="${PUBLIC}/twilio/status">${AGENT}</Number></Dial>`,
    );
    const withCallback = await call('answered');
    receiver.answers['/twilio/voice'] = xml(`<Dial callerId="${TRACKING}">${AGENT}</Dial>`);
    const bare = await call('answered');

    expect(sequence(withCallback.deliveries)).toEqual([
      '/twilio/voice ringing',
      '/twilio/status completed child',
      '/twilio/status completed',
    ]);
    expect(withCallback.deliveries[1]?.params.SequenceNumber).toBe('0');
    expect(sequence(bare.deliveries)).toEqual([
      '/twilio/voice ringing',
      '/twilio/status completed',
    ]);
    expect(bare.dialed).toEqual([AGENT]);
    expect(bare.expected).toMatchObject({ answered: true, durationSeconds: 1 + 5 + 75 });
  });

  it('reports a recorded <Dial> on the dial action and on its recordingStatusCallback', async () => {
    receiver.answers['/twilio/voice'] = xml(
      `<Dial action="/twilio/dial-status" record="record-from-answer-dual" recordingStatusCallback="/twilio/recording">${AGENT}</Dial>`,
    );
    const placed = await call('answered');

    const dialAction = placed.deliveries.find((d) => d.path === '/twilio/dial-status');
    const recording = placed.deliveries.find((d) => d.path === '/twilio/recording');
    expect(dialAction?.params).toMatchObject({
      RecordingSid: recording?.params.RecordingSid,
      RecordingUrl: recording?.params.RecordingUrl,
      RecordingDuration: '75',
    });
    expect(recording?.params).toMatchObject({
      CallSid: placed.callSid,
      RecordingSource: 'DialVerb',
      RecordingChannels: '2',
      RecordingDuration: '75',
    });
    expect(placed.expected.recording).toBe(true);
  });

  it('follows <Redirect> and resolves relative URLs against the current document', async () => {
    receiver.answers['/twilio/voice'] = xml('<Redirect>/twilio/menu?x=1&amp;y=2</Redirect>');
    receiver.answers['/twilio/menu'] = xml('<Say>Goodbye</Say><Hangup/><Say>never played</Say>');
    const placed = await call('answered');

    expect(placed.deliveries.map((d) => d.path)).toEqual([
      '/twilio/voice',
      '/twilio/menu?x=1&y=2',
      '/twilio/status',
    ]);
    expect(placed.deliveries[1]?.params.CallStatus).toBe('in-progress');
    expect(placed.expected.durationSeconds).toBe(1);
    expect(receiver.received.every((r) => r.validSignature)).toBe(true);
  });

  it('refuses TwiML that points Twilio outside publicBaseUrl', async () => {
    receiver.answers['/twilio/voice'] = xml(
      '<Dial action="https://elsewhere.test/hook">+15105550123</Dial>',
    );

    await expect(call('answered')).rejects.toThrow(/outside publicBaseUrl/);
  });

  it('falls back to the voice fallback URL when the voice webhook is refused, then hangs up', async () => {
    const placed = await simulator({ authToken: 'not-the-receivers-token' }).placeCall({
      from: CALLER,
      to: TRACKING,
      outcome: 'answered',
    });

    expect(placed.deliveries.map((d) => [d.kind, d.path, d.status])).toEqual([
      ['voice', '/twilio/voice', 403],
      ['voice-fallback', '/twilio/fallback', 403],
      ['call-status', '/twilio/status', 403],
    ]);
    expect(placed.deliveries[1]?.params).toMatchObject({
      ErrorCode: '11200',
      ErrorUrl: `${PUBLIC}/twilio/voice`,
    });
    expect(placed.expected).toMatchObject({ status: 'completed', answered: false });
  });
});

describe('parseTwiml', () => {
  it('reads verbs, attributes and text, decoding entities', () => {
    const response = parseTwiml(
      `<?xml version="1.0"?><!-- hi --><Response><Say voice='alice'>Tom &amp; Jerry&#39;s</Say>` +
        `<Dial action="/a?b=1&amp;c=2"><Number>+1 (415) 555-0100</Number></Dial></Response>`,
    );

    expect(response.children.map((c) => c.name)).toEqual(['Say', 'Dial']);
    expect(response.children[0]).toMatchObject({
      attrs: { voice: 'alice' },
      text: "Tom & Jerry's",
    });
    expect(response.children[1]?.attrs.action).toBe('/a?b=1&c=2');
    expect(response.children[1]?.children[0]?.text).toBe('+1 (415) 555-0100');
  });

  it.each([
    ['an unclosed verb', '<Response><Dial>+15105550123</Response>'],
    ['a root other than Response', '<Say>hi</Say>'],
    ['plain text', 'OK'],
    ['an empty body', ''],
    ['a stray angle bracket', '<Response><Say>a < b</Say></Response>'],
  ])('rejects %s as Twilio error 12100', (_what, body) => {
    expect(() => parseTwiml(body)).toThrow(TwimlParseError);
  });
});
