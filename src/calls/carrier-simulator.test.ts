import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { lookup as lookupZip } from 'zipcodes';
import {
  buildVisits,
  formatTable,
  judgeAttribution,
  parseSimulateArgs,
  planCallers,
  poolTarget,
  SITE_ORIGIN,
  summarize,
  type Verdict,
} from '../../scripts/simulate';
import { ManualClock } from '../../test/support/clock';
import { isValidTwilioSignature, signTwilioRequest } from '../shared/twilio';
import {
  createCarrierSimulator,
  mulberry32,
  type CallOutcome,
  type Delivery,
  type PlaceCallOptions,
  type SimulatorOptions,
} from './carrier-simulator';
import { parseTwiml, TwimlParseError } from './carrier-simulator.twiml';

// The simulator is checked against a tiny receiver, not Leadline: it validates every signature
// against PUBLIC + path, as a receiver behind a proxy must, and answers canned TwiML.

const PUBLIC = 'https://leadline.test';
const AUTH_TOKEN = 'simulator-auth-token';
const ACCOUNT_SID = `AC${'c0ffee00'.repeat(4)}`;
const CALLER = '+14155551234';
const TRACKING = '+16505550142';
const AGENT = '+15105550123';
const START = '2026-06-01T15:00:00Z';

interface Received {
  path: string;
  params: Record<string, string>;
  body: string;
  signature: string | undefined;
  token: string | undefined;
  validSignature: boolean;
}

const xml = (inner: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Response>${inner}</Response>`;
const DIAL_AGENT = xml(
  `<Say>Thanks for calling, connecting you now.</Say>` +
    `<Dial action="${PUBLIC}/twilio/dial-status" timeout="20">` +
    `<Number statusCallback="/twilio/status" statusCallbackEvent="initiated ringing answered completed">${AGENT}</Number>` +
    `</Dial>`,
);
const VOICEMAIL = xml(
  `<Say>Please leave a message.</Say>` +
    `<Record action="/twilio/recording?step=done" recordingStatusCallback="/twilio/recording" maxLength="120"/>`,
);

let server: http.Server;
let target: string;
let received: Received[] = [];
let answers: Record<string, string> = {};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      const params = Object.fromEntries(new URLSearchParams(body));
      const signature = header(req, 'x-twilio-signature');
      const validSignature = isValidTwilioSignature(AUTH_TOKEN, signature, PUBLIC + path, params);
      received.push({
        path,
        params,
        body,
        signature,
        token: header(req, 'i-twilio-idempotency-token'),
        validSignature,
      });
      if (!validSignature) {
        res.writeHead(403).end('bad signature');
        return;
      }
      const route = path.split('?')[0] ?? path;
      const twiml =
        route === '/twilio/dial-status'
          ? params.DialCallStatus === 'completed'
            ? xml('<Hangup/>')
            : VOICEMAIL
          : answers[route];
      if (twiml === undefined) {
        res.writeHead(204).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/xml' }).end(twiml);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  received = [];
  answers = { '/twilio/voice': DIAL_AGENT };
});

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function simulator(overrides: Partial<SimulatorOptions> = {}) {
  const clock = new ManualClock(START);
  return createCarrierSimulator({
    publicBaseUrl: PUBLIC,
    authToken: AUTH_TOKEN,
    accountSid: ACCOUNT_SID,
    targetBaseUrl: target,
    now: () => clock.now(),
    rng: mulberry32(42),
    ...overrides,
  });
}

function call(outcome: CallOutcome, extra: Partial<PlaceCallOptions> = {}) {
  return simulator().placeCall({
    from: CALLER,
    to: TRACKING,
    outcome,
    fromZip: '94103',
    ringSeconds: 5,
    talkSeconds: 75,
    ...extra,
  });
}

/** "path CallStatus" (plus DialCallStatus / RecordingStatus) per delivery: the sequence at a glance. */
function sequence(deliveries: Delivery[]): string[] {
  return deliveries.map((d) => {
    const p = d.params;
    const what = p.RecordingStatus ?? p.DialCallStatus ?? p.CallStatus ?? '';
    const leg = p.ParentCallSid ? ' child' : '';
    return `${d.path.split('?')[0]} ${what}${leg}`.trim();
  });
}

const at = (seconds: number) =>
  new Date(new Date(START).getTime() + seconds * 1000).toUTCString().replace('GMT', '+0000');

describe('placeCall: the first voice webhook', () => {
  it('posts every parameter Twilio sends for an incoming call, signed, with the caller placed by ZIP', async () => {
    const placed = await call('answered', { toZip: '94025' });

    const voice = received[0];
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

    const [anonymous, named] = received.filter((r) => r.path === '/twilio/voice');
    expect(anonymous?.params).toMatchObject({ FromCity: '', FromZip: '', FromCountry: 'US' });
    expect(anonymous?.params).not.toHaveProperty('CallerName');
    expect(named?.params.CallerName).toBe('DOE JANE');
  });

  it('plans the voice webhook without sending anything', () => {
    const planned = simulator().planCall({ from: CALLER, to: TRACKING, outcome: 'answered' });

    expect(received).toHaveLength(0);
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
    answers['/twilio/voice'] = xml('<Reject/>');
    const rejected = await call('answered');
    answers['/twilio/voice'] = xml('<Reject reason="busy"/>');
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
    answers['/twilio/voice'] = xml(
      `<Dial answerOnBridge="true" action="/twilio/dial-status">` +
        `<Number statusCallback="/twilio/status">${AGENT}</Number></Dial>`,
    );
    const answered = await call('answered');

    // Rings from 1 s, picked up at 6 s, talks 75 s: the caller's call lasts 75 s, not 81 s.
    expect(answered.expected).toMatchObject({ status: 'completed', durationSeconds: 75 });
    expect(answered.deliveries.at(-1)?.params).toMatchObject({ CallDuration: '75', Duration: '2' });
  });

  it('answerOnBridge: a caller who hangs up while the agent rings cancels the never-answered call', async () => {
    answers['/twilio/voice'] = xml(
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

    expect(received.length).toBeGreaterThan(15);
    expect(received.filter((r) => !r.validSignature)).toEqual([]);
  });
});

describe('placeCall: following TwiML', () => {
  it('sends only the completed event when <Number> names no events, and none without a statusCallback', async () => {
    answers['/twilio/voice'] = xml(
      `<Dial><Number statusCallback="${PUBLIC}/twilio/status">${AGENT}</Number></Dial>`,
    );
    const withCallback = await call('answered');
    answers['/twilio/voice'] = xml(`<Dial callerId="${TRACKING}">${AGENT}</Dial>`);
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
    answers['/twilio/voice'] = xml(
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
    answers['/twilio/voice'] = xml('<Redirect>/twilio/menu?x=1&amp;y=2</Redirect>');
    answers['/twilio/menu'] = xml('<Say>Goodbye</Say><Hangup/><Say>never played</Say>');
    const placed = await call('answered');

    expect(placed.deliveries.map((d) => d.path)).toEqual([
      '/twilio/voice',
      '/twilio/menu?x=1&y=2',
      '/twilio/status',
    ]);
    expect(placed.deliveries[1]?.params.CallStatus).toBe('in-progress');
    expect(placed.expected.durationSeconds).toBe(1);
    expect(received.every((r) => r.validSignature)).toBe(true);
  });

  it('refuses TwiML that points Twilio outside publicBaseUrl', async () => {
    answers['/twilio/voice'] = xml(
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

describe('placeCall: retries and reordering', () => {
  it('sends duplicates as identical retries (body, signature, idempotency token) after the original', async () => {
    const placed = await call('voicemail', { duplicates: 3 });

    const dupes = received.filter((r, i) => received.findIndex((o) => o.body === r.body) !== i);
    expect(dupes).toHaveLength(3);
    expect(placed.deliveries.filter((d) => d.duplicate)).toHaveLength(3);
    for (const dupe of dupes) {
      const original = received.find((r) => r.body === dupe.body);
      expect(original).not.toBe(dupe);
      expect(dupe.signature).toBe(original?.signature);
      expect(dupe.token).toBe(original?.token);
      expect(dupe.path).not.toBe('/twilio/voice');
    }
    const tokens = new Set(received.map((r) => r.token));
    expect(tokens.size).toBe(received.length - 3);
  });

  it('reorder shuffles the asynchronous callbacks but sends the same set, the voice webhook first', async () => {
    const inOrder = await call('answered', { duplicates: 1 });
    const inOrderBodies = received.map((r) => r.body);
    received = [];
    const shuffled = await call('answered', { duplicates: 1, reorder: true });
    const shuffledBodies = received.map((r) => r.body);

    expect(shuffled.callSid).toBe(inOrder.callSid);
    expect(shuffledBodies[0]).toBe(inOrderBodies[0]);
    expect([...shuffledBodies].sort()).toEqual([...inOrderBodies].sort());
    expect(shuffledBodies).not.toEqual(inOrderBodies);
    expect(shuffled.expected).toEqual(inOrder.expected);
    for (const [i, d] of shuffled.deliveries.entries()) {
      if (!d.duplicate) continue;
      const original = shuffled.deliveries.findIndex((o) => o.params === d.params);
      expect(original).toBeLessThan(i);
    }
  });

  it('reorder never sends the asynchronous callbacks in their natural order, whatever the seed', async () => {
    // Two callbacks (the agent leg's and the call's completion): a plain shuffle keeps them in
    // order half of the time.
    answers['/twilio/voice'] = xml(
      `<Dial><Number statusCallback="/twilio/status">${AGENT}</Number></Dial>`,
    );
    for (let seed = 1; seed <= 16; seed++) {
      const placed = await simulator({ rng: mulberry32(seed) }).placeCall({
        from: CALLER,
        to: TRACKING,
        outcome: 'answered',
        reorder: true,
      });
      expect(sequence(placed.deliveries)).toEqual([
        '/twilio/voice ringing',
        '/twilio/status completed',
        '/twilio/status completed child',
      ]);
    }
  });

  it('waits delayMs between deliveries when asked to, and not otherwise', async () => {
    const quick = Date.now();
    await call('busy');
    const quickMs = Date.now() - quick;
    const slow = Date.now();
    await call('busy', { delayMs: 40 });

    expect(Date.now() - slow).toBeGreaterThanOrEqual(4 * 40);
    expect(quickMs).toBeLessThan(4 * 40);
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

// Guards the receiver above: if it accepted anything, "signatures validate" would prove nothing.
it('the test receiver refuses a request signed with another token', async () => {
  const params = { CallSid: 'CA1' };
  const res = await fetch(`${target}/twilio/status`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Twilio-Signature': signTwilioRequest('wrong', `${PUBLIC}/twilio/status`, params),
    },
    body: new URLSearchParams(params).toString(),
  });
  expect(res.status).toBe(403);
});

// The pure pieces of scripts/simulate.ts; the script as a whole drives a running Leadline.
describe('npm run simulate: its pieces', () => {
  const defaults = {
    base: 'http://localhost:3000',
    publicBaseUrl: 'https://leadline.example.com/',
    authToken: 'token',
    accountSid: ACCOUNT_SID,
    adminKey: 'admin-key-from-env',
  };

  it('reads the command line over the configured defaults, and refuses nonsense', () => {
    expect(parseSimulateArgs([], defaults, () => 5)).toEqual({
      visitors: 200,
      calls: 50,
      base: 'http://localhost:3000',
      publicBaseUrl: 'https://leadline.example.com',
      adminKey: 'admin-key-from-env',
      authToken: 'token',
      accountSid: ACCOUNT_SID,
      duplicates: 0,
      reorder: false,
      seed: 5,
      maxPool: 300,
    });
    const args =
      '--visitors 20 --calls 5 --base http://127.0.0.1:4000/ --duplicates 1 --reorder --seed 9';
    expect(parseSimulateArgs(args.split(' '), defaults)).toMatchObject({
      visitors: 20,
      calls: 5,
      base: 'http://127.0.0.1:4000',
      duplicates: 1,
      reorder: true,
      seed: 9,
    });
    expect(() => parseSimulateArgs(['--visitors', '5', '--calls', '6'], defaults)).toThrow(
      /cannot exceed/,
    );
    expect(() => parseSimulateArgs(['--visitors', 'many'], defaults)).toThrow(/--visitors/);
    expect(() => parseSimulateArgs([], { ...defaults, adminKey: undefined })).toThrow(/admin/);
  });

  it('builds visits from several sources, each marked the way that source marks its links', () => {
    const visits = buildVisits(300, mulberry32(3));

    expect(buildVisits(300, mulberry32(3))).toEqual(visits);
    expect(new Set(visits.map((v) => v.source)).size).toBeGreaterThanOrEqual(6);
    for (const v of visits) {
      expect(v.landingUrl.startsWith(`${SITE_ORIGIN}/`)).toBe(true);
      expect(v.userAgent).not.toMatch(/bot|crawl|spider/i);
      const q = new URL(v.landingUrl).searchParams;
      if (v.source === 'google ads') expect(q.get('gclid')).toBeTruthy();
      if (v.source === 'facebook') expect(q.get('fbclid')).toBeTruthy();
      if (v.source === 'bing ads') expect(q.get('msclkid')).toBeTruthy();
      if (v.source === 'direct') expect(v.referrer).toBeUndefined();
    }
    expect(new Set(visits.map((v) => v.ip)).size).toBeGreaterThan(290);
  });

  it('picks distinct visitors to call, from distinct numbers in real ZIPs', () => {
    const callers = planCallers(200, 150, mulberry32(4));

    expect(callers).toHaveLength(150);
    expect(new Set(callers.map((c) => c.visit)).size).toBe(150);
    expect(new Set(callers.map((c) => c.from)).size).toBe(150);
    for (const c of callers) {
      expect(c.from).toMatch(/^\+1[2-9]\d{2}5550[1]\d{2}$/);
      expect(lookupZip(c.fromZip)).toBeDefined();
    }
    expect(new Set(callers.map((c) => c.outcome)).size).toBe(6);
  });

  it('sizes the pool for every visitor of the run plus headroom, in batches the API accepts', () => {
    expect(poolTarget({ size: 0, leasedNow: 0, recommendedSize: 2 }, 200, 300)).toEqual({
      target: 241,
      toBuy: [50, 50, 50, 50, 41],
    });
    expect(poolTarget({ size: 0, leasedNow: 0, recommendedSize: 2 }, 3, 300).target).toBe(10);
    expect(poolTarget({ size: 40, leasedNow: 0, recommendedSize: 60 }, 5, 300)).toEqual({
      target: 60,
      toBuy: [20],
    });
    expect(poolTarget({ size: 300, leasedNow: 150, recommendedSize: 2 }, 200, 300).toBuy).toEqual(
      [],
    );
  });

  it('counts only an exact attribution to another visitor, or a lost call, as a failure', () => {
    const who = { visitorId: 'v-1', sessionId: 's-1' };
    const verdicts = [
      judgeAttribution(who, { attribution: 'exact', visitorId: 'v-1', sessionId: 's-1' }),
      judgeAttribution(who, { attribution: 'expired', visitorId: 'v-1' }),
      judgeAttribution(who, { attribution: 'ambiguous', visitorId: null }),
      judgeAttribution(who, { attribution: 'none' }),
    ];
    expect(verdicts).toEqual(['tied', 'tied', 'ambiguous', 'unattributed']);
    expect(summarize(verdicts)).toEqual({
      line: 'attribution: 2/4 calls tied to the visitor who placed them (50.0%), 1 ambiguous (flagged), 0 wrong, 1 unattributed',
      exitCode: 0,
    });
    expect(summarize(Array<Verdict>(50).fill('tied'))).toEqual({
      line: 'attribution: 50/50 calls tied to the visitor who placed them (100.0%), 0 ambiguous (flagged), 0 wrong',
      exitCode: 0,
    });
    const wrong = judgeAttribution(who, {
      attribution: 'exact',
      visitorId: 'v-2',
      sessionId: 's-2',
    });
    expect(wrong).toBe('wrong');
    expect(summarize(['tied', wrong]).exitCode).toBe(1);
    expect(summarize(['tied', judgeAttribution(who, null)]).exitCode).toBe(1);
  });

  it('prints a table with aligned columns', () => {
    expect(
      formatTable(
        ['#', 'result'],
        [
          ['1', 'ok'],
          ['10', 'WRONG'],
        ],
      ),
    ).toBe(['#   result', '--  ------', '1   ok', '10  WRONG'].join('\n'));
  });
});
