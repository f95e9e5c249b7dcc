import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createCarrierSimulator,
  mulberry32,
  type CallOutcome,
  type Delivery,
  type PlaceCallOptions,
  type SimulatorOptions,
} from '../../src/demo/carrier/simulator';
import { isValidTwilioSignature } from '../../src/shared/twilio';
import { ManualClock } from './clock';

// The simulator is checked against a tiny receiver, not Leadline: it validates every signature
// against PUBLIC + path, as a receiver behind a proxy must, and answers canned TwiML.

export const PUBLIC = 'https://leadline.test';
export const AUTH_TOKEN = 'simulator-auth-token';
export const ACCOUNT_SID = `AC${'c0ffee00'.repeat(4)}`;
export const CALLER = '+14155551234';
export const TRACKING = '+16505550142';
export const AGENT = '+15105550123';
export const START = '2026-06-01T15:00:00Z';

/** One request as the receiver got it, and whether its signature held. */
export interface Received {
  path: string;
  params: Record<string, string>;
  body: string;
  signature: string | undefined;
  token: string | undefined;
  validSignature: boolean;
}

/** Wraps verbs in a TwiML document. */
export const xml = (inner: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Response>${inner}</Response>`;
/** The receiver's default answer to /twilio/voice: dial the agent with every progress event. */
export const DIAL_AGENT = xml(
  `<Say>Thanks for calling, connecting you now.</Say>` +
    `<Dial action="${PUBLIC}/twilio/dial-status" timeout="20">` +
    `<Number statusCallback="/twilio/status" statusCallbackEvent="initiated ringing answered completed">${AGENT}</Number>` +
    `</Dial>`,
);
const VOICEMAIL = xml(
  `<Say>Please leave a message.</Say>` +
    `<Record action="/twilio/recording?step=done" recordingStatusCallback="/twilio/recording" maxLength="120"/>`,
);

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Runs the receiver for the calling test file (its own jest hooks): started before the file's
 * tests, and before each test emptied of what it received and set to answer /twilio/voice with
 * DIAL_AGENT. /twilio/dial-status hangs up after a completed dial and offers voicemail otherwise.
 */
export function useCarrierReceiver() {
  let server: http.Server;

  const receiver = {
    /** The receiver's own address, where the simulator delivers. */
    target: '',
    /** Every request, in arrival order, refused ones included. */
    received: [] as Received[],
    /** TwiML to answer by path (without the query); any other path gets 204. */
    answers: {} as Record<string, string>,

    simulator(overrides: Partial<SimulatorOptions> = {}) {
      const clock = new ManualClock(START);
      return createCarrierSimulator({
        publicBaseUrl: PUBLIC,
        authToken: AUTH_TOKEN,
        accountSid: ACCOUNT_SID,
        targetBaseUrl: receiver.target,
        now: () => clock.now(),
        rng: mulberry32(42),
        ...overrides,
      });
    },

    /** CALLER phones TRACKING from ZIP 94103; the agent picks up after 5 s and talks 75 s. */
    call(outcome: CallOutcome, extra: Partial<PlaceCallOptions> = {}) {
      return receiver.simulator().placeCall({
        from: CALLER,
        to: TRACKING,
        outcome,
        fromZip: '94103',
        ringSeconds: 5,
        talkSeconds: 75,
        ...extra,
      });
    },
  };

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
        receiver.received.push({
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
            : receiver.answers[route];
        if (twiml === undefined) {
          res.writeHead(204).end();
          return;
        }
        res.writeHead(200, { 'Content-Type': 'text/xml' }).end(twiml);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver.target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  beforeEach(() => {
    receiver.received = [];
    receiver.answers = { '/twilio/voice': DIAL_AGENT };
  });

  return receiver;
}

/** "path CallStatus" (plus DialCallStatus / RecordingStatus) per delivery: the sequence at a glance. */
export function sequence(deliveries: Delivery[]): string[] {
  return deliveries.map((d) => {
    const p = d.params;
    const what = p.RecordingStatus ?? p.DialCallStatus ?? p.CallStatus ?? '';
    const leg = p.ParentCallSid ? ' child' : '';
    return `${d.path.split('?')[0]} ${what}${leg}`.trim();
  });
}

/** The Timestamp Twilio would print `seconds` after START. */
export const at = (seconds: number) =>
  new Date(new Date(START).getTime() + seconds * 1000).toUTCString().replace('GMT', '+0000');
