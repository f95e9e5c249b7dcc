import {
  ACCOUNT_SID,
  AGENT,
  AUTH_TOKEN,
  at,
  CALLER,
  DIAL_AGENT,
  PUBLIC,
  sequence,
  TRACKING,
  useCarrierReceiver,
  xml,
} from '../../../test/support/carrier-receiver';
import { isValidTwilioSignature } from '../../shared/twilio';

// What the simulator sends for each way a call can end, checked against a receiver that
// validates every signature (test/support/carrier-receiver.ts).

const receiver = useCarrierReceiver();
const { call, simulator } = receiver;

describe('placeCall: the first voice webhook', () => {
  it('posts every parameter Twilio sends for an incoming call, signed, with the caller placed by ZIP', async () => {
    const placed = await call('answered', { toZip: '94025' });

    const voice = receiver.received[0];
    expect(voice?.path).toBe('/twilio/voice');
    expect(voice?.validSignature).toBe(true);
    expect(Object.keys(voice?.params ?? {}).sort()).toEqual(
      [
        'AccountSid',
        'ApiVersion',
        'CallSid',
        'CallStatus',
        'CallToken',
        'Called',
        'CalledCity',
        'CalledCountry',
        'CalledState',
        'CalledZip',
        'Caller',
        'CallerCity',
        'CallerCountry',
        'CallerState',
        'CallerZip',
        'Direction',
        'From',
        'FromCity',
        'FromCountry',
        'FromState',
        'FromZip',
        'To',
        'ToCity',
        'ToCountry',
        'ToState',
        'ToZip',
      ].sort(),
    );
    expect(voice?.params).toMatchObject({
      AccountSid: ACCOUNT_SID,
      ApiVersion: '2010-04-01',
      CallSid: placed.callSid,
      CallStatus: 'ringing',
      Direction: 'inbound',
      From: CALLER,
      Caller: CALLER,
      To: TRACKING,
      Called: TRACKING,
      FromCity: 'SAN FRANCISCO',
      FromState: 'CA',
      FromZip: '94103',
      FromCountry: 'US',
      CallerCity: 'SAN FRANCISCO',
      ToCity: 'MENLO PARK',
      ToZip: '94025',
      CalledState: 'CA',
    });
    expect(placed.callSid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(placed.voiceResponse).toEqual({ status: 200, twiml: DIAL_AGENT });
  });

  it('sends empty place fields when Twilio cannot place a number, and CallerName only when known', async () => {
    await simulator().placeCall({ from: CALLER, to: TRACKING, outcome: 'busy' });
    await simulator().placeCall({
      from: CALLER,
      to: TRACKING,
      outcome: 'busy',
      callerName: 'DOE JANE',
    });

    const [anonymous, named] = receiver.received.filter((r) => r.path === '/twilio/voice');
    expect(anonymous?.params).toMatchObject({ FromCity: '', FromZip: '', FromCountry: 'US' });
    expect(anonymous?.params).not.toHaveProperty('CallerName');
    expect(named?.params.CallerName).toBe('DOE JANE');
  });

  it('plans the voice webhook without sending anything', () => {
    const planned = simulator().planCall({ from: CALLER, to: TRACKING, outcome: 'answered' });

    expect(receiver.received).toHaveLength(0);
    expect(planned.voice.url).toBe(`${PUBLIC}/twilio/voice`);
    expect(
      isValidTwilioSignature(
        AUTH_TOKEN,
        planned.voice.headers['X-Twilio-Signature'],
        planned.voice.url,
        Object.fromEntries(new URLSearchParams(planned.voice.body)),
      ),
    ).toBe(true);
  });
});

describe('placeCall: the callback sequence of each outcome', () => {
  it('answered: the agent leg reports every requested event, then the dial action, then the call completes', async () => {
    const placed = await call('answered');

    expect(sequence(placed.deliveries)).toEqual([
      '/twilio/voice ringing',
      '/twilio/status initiated child',
      '/twilio/status ringing child',
      '/twilio/status in-progress child',
      '/twilio/status completed child',
      '/twilio/dial-status completed',
      '/twilio/status completed',
    ]);
    const child = placed.deliveries.filter((d) => d.params.ParentCallSid);
    expect(child.map((d) => d.params.SequenceNumber)).toEqual(['0', '1', '2', '3']);
    for (const d of child) {
      expect(d.params).toMatchObject({
        CallSid: placed.childCallSid,
        ParentCallSid: placed.callSid,
        Direction: 'outbound-dial',
        From: CALLER,
        To: AGENT,
        CallbackSource: 'call-progress-events',
      });
    }
    // Say takes 3 s; the agent's phone rings from 4 s, picks up 5 s later and talks 75 s.
    expect(child.map((d) => d.params.Timestamp)).toEqual([at(3), at(4), at(9), at(84)]);
    expect(child[3]?.params).toMatchObject({ CallDuration: '75', Duration: '2' });
    expect(child[0]?.params).not.toHaveProperty('CallDuration');

    const dialAction = placed.deliveries[5]?.params;
    expect(dialAction).toMatchObject({
      CallSid: placed.callSid,
      CallStatus: 'in-progress',
      DialCallStatus: 'completed',
      DialCallSid: placed.childCallSid,
      DialCallDuration: '75',
      DialBridged: 'true',
      FromCity: 'SAN FRANCISCO',
    });
    expect(placed.deliveries[6]?.params).toMatchObject({
      CallSid: placed.callSid,
      CallStatus: 'completed',
      CallDuration: '84',
      Duration: '2',
      SequenceNumber: '0',
      CallbackSource: 'call-progress-events',
      Timestamp: at(84),
      Direction: 'inbound',
    });
    expect(placed.dialed).toEqual([AGENT]);
    expect(placed.expected).toEqual({
      status: 'completed',
      durationSeconds: 84,
      answered: true,
      recording: false,
      dialCallStatus: 'completed',
    });
  });

  it('busy: the agent leg never rings, the dial reports busy, and the caller hangs up at the voicemail prompt', async () => {
    const placed = await call('busy');

    expect(sequence(placed.deliveries)).toEqual([
      '/twilio/voice ringing',
      '/twilio/status initiated child',
      '/twilio/status busy child',
      '/twilio/dial-status busy',
      '/twilio/status completed',
    ]);
    expect(placed.deliveries[2]?.params).toMatchObject({ CallDuration: '0', Duration: '0' });
    expect(placed.deliveries[3]?.params).toMatchObject({
      DialCallDuration: '0',
      DialBridged: 'false',
    });
    expect(placed.expected).toMatchObject({
      status: 'completed',
      answered: false,
      recording: false,
      dialCallStatus: 'busy',
    });
  });

  it('no-answer: the agent leg rings until the Dial timeout, then the call still completes', async () => {
    const placed = await call('no-answer');

    expect(sequence(placed.deliveries)).toEqual([
      '/twilio/voice ringing',
      '/twilio/status initiated child',
      '/twilio/status ringing child',
      '/twilio/status no-answer child',
      '/twilio/dial-status no-answer',
      '/twilio/status completed',
    ]);
    expect(placed.deliveries[3]?.params.Timestamp).toBe(at(3 + 20));
    expect(placed.expected).toMatchObject({ status: 'completed', dialCallStatus: 'no-answer' });
  });

  it('voicemail: after an unanswered dial the caller records a message; the recording callback comes last', async () => {
    const placed = await call('voicemail', { talkSeconds: 32 });

    expect(sequence(placed.deliveries)).toEqual([
      '/twilio/voice ringing',
      '/twilio/status initiated child',
      '/twilio/status ringing child',
      '/twilio/status no-answer child',
      '/twilio/dial-status no-answer',
      '/twilio/recording completed',
      '/twilio/status completed',
      '/twilio/recording completed',
    ]);
    const recordAction = placed.deliveries[5];
    expect(recordAction?.path).toBe('/twilio/recording?step=done');
    expect(recordAction?.params).toMatchObject({
      CallSid: placed.callSid,
      CallStatus: 'completed',
      RecordingDuration: '32',
      Digits: 'hangup',
    });
    const recording = placed.deliveries[7]?.params;
    expect(recording).toEqual({
      AccountSid: ACCOUNT_SID,
      CallSid: placed.callSid,
      RecordingSid: recordAction?.params.RecordingSid,
      RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Recordings/${recordAction?.params.RecordingSid}`,
      RecordingStatus: 'completed',
      RecordingDuration: '32',
      RecordingChannels: '1',
      RecordingSource: 'RecordVerb',
      RecordingStartTime: expect.stringMatching(/ \+0000$/),
    });
    expect(recordAction?.params.RecordingSid).toMatch(/^RE[0-9a-f]{32}$/);
    // Say 3 s + 20 s ringing + Say 2 s + beep 1 s + 32 s message.
    expect(placed.expected).toEqual({
      status: 'completed',
      durationSeconds: 58,
      answered: false,
      recording: true,
      dialCallStatus: 'no-answer',
    });
  });

  it('failed: the dialed number cannot be reached, so the agent leg fails without ringing', async () => {
    const placed = await call('failed');

    expect(sequence(placed.deliveries)).toEqual([
      '/twilio/voice ringing',
      '/twilio/status initiated child',
      '/twilio/status failed child',
      '/twilio/dial-status failed',
      '/twilio/status completed',
    ]);
    expect(placed.expected).toMatchObject({ dialCallStatus: 'failed', answered: false });
  });

  it('canceled: the caller hangs up while the agent rings; the dial still reports, its TwiML is ignored', async () => {
    const placed = await call('canceled', { ringSeconds: 7 });

    expect(sequence(placed.deliveries)).toEqual([
      '/twilio/voice ringing',
      '/twilio/status initiated child',
      '/twilio/status ringing child',
      '/twilio/status canceled child',
      '/twilio/dial-status canceled',
      '/twilio/status completed',
    ]);
    expect(placed.deliveries[4]?.params.CallStatus).toBe('completed');
    expect(placed.expected).toEqual({
      status: 'completed',
      durationSeconds: 3 + 1 + 7,
      answered: false,
      recording: false,
      dialCallStatus: 'canceled',
    });
  });

  it('Reject: no child leg, nothing billed, the call ends no-answer (or busy when the reason says so)', async () => {
    receiver.answers['/twilio/voice'] = xml('<Reject/>');
    const rejected = await call('answered');
    receiver.answers['/twilio/voice'] = xml('<Reject reason="busy"/>');
    const busy = await call('answered');

    expect(sequence(rejected.deliveries)).toEqual([
      '/twilio/voice ringing',
      '/twilio/status no-answer',
    ]);
    expect(rejected.deliveries[1]?.params).toMatchObject({ CallDuration: '0', Duration: '0' });
    expect(sequence(busy.deliveries)).toEqual(['/twilio/voice ringing', '/twilio/status busy']);
    for (const placed of [rejected, busy]) {
      expect(placed.rejected).toBe(true);
      expect(placed.childCallSid).toBeUndefined();
      expect(placed.dialed).toBeUndefined();
    }
    expect(busy.expected).toEqual({
      status: 'busy',
      durationSeconds: 0,
      answered: false,
      recording: false,
    });
  });

  it('answerOnBridge: the caller is answered, and billed, only once the agent picks up', async () => {
    receiver.answers['/twilio/voice'] = xml(
      `<Dial answerOnBridge="true" action="/twilio/dial-status">` +
        `<Number statusCallback="/twilio/status">${AGENT}</Number></Dial>`,
    );
    const answered = await call('answered');

    // Rings from 1 s, picked up at 6 s, talks 75 s: the caller's call lasts 75 s, not 81 s.
    expect(answered.expected).toMatchObject({ status: 'completed', durationSeconds: 75 });
    expect(answered.deliveries.at(-1)?.params).toMatchObject({ CallDuration: '75', Duration: '2' });
  });

  it('answerOnBridge: a caller who hangs up while the agent rings cancels the never-answered call', async () => {
    receiver.answers['/twilio/voice'] = xml(
      `<Dial answerOnBridge="true" action="/twilio/dial-status">` +
        `<Number statusCallback="/twilio/status">${AGENT}</Number></Dial>`,
    );
    const placed = await call('canceled');

    expect(sequence(placed.deliveries)).toEqual([
      '/twilio/voice ringing',
      '/twilio/status canceled child',
      '/twilio/dial-status canceled',
      '/twilio/status canceled',
    ]);
    expect(placed.deliveries[2]?.params.CallStatus).toBe('canceled');
    expect(placed.deliveries[3]?.params).toMatchObject({ CallDuration: '0', Duration: '0' });
    expect(placed.expected).toEqual({
      status: 'canceled',
      durationSeconds: 0,
      answered: false,
      recording: false,
      dialCallStatus: 'canceled',
    });
  });

  it('every request carries a signature that validates against publicBaseUrl + path', async () => {
    for (const outcome of ['answered', 'voicemail', 'canceled'] as const) await call(outcome);

    expect(receiver.received.length).toBeGreaterThan(15);
    expect(receiver.received.filter((r) => !r.validSignature)).toEqual([]);
  });
});
