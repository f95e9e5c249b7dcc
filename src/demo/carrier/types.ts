/**
 * The carrier simulator's public shapes: what a caller does, what Twilio sends, what a correct
 * receiver must end with. Kept apart so the simulator itself reads as the call flow.
 */
import type { Params } from './params';

export type CallOutcome = 'answered' | 'busy' | 'no-answer' | 'voicemail' | 'failed' | 'canceled';

/** A side of the conversation: inbound is the caller, outbound what the caller hears (the agent). */
export type TranscriptTrack = 'inbound' | 'outbound';

/** One HTTP request as Twilio sends it: a form-encoded POST, signed over publicBaseUrl + path. */
export interface WebhookRequest {
  path: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}
export type WebhookSender = (req: WebhookRequest) => Promise<{ status: number; text: string }>;

/** Where a tracking number sends its calls; the numbers service configures these on each number. */
export interface NumberHooks {
  voice: string;
  statusCallback: string;
  /** null: the number has no fallback URL. */
  voiceFallback: string | null;
}

export interface SimulatorOptions {
  /** What Leadline believes its URL is; signatures are computed over publicBaseUrl + path. */
  publicBaseUrl: string;
  authToken: string;
  accountSid: string;
  /** How to deliver a webhook; default: fetch to targetBaseUrl + path. Tests pass a supertest-based sender. */
  send?: WebhookSender;
  /** Where requests actually go when `send` is not given; default publicBaseUrl. */
  targetBaseUrl?: string;
  /** Simulated time base (tests inject a manual clock); default the system clock. */
  now?: () => Date;
  /**
   * Never stamp an event later than now(): for calls played against a running Leadline on the
   * system clock (demo mode, `npm run simulate`). Tests on a manual clock keep the simulated times.
   */
  neverAfterNow?: boolean;
  /** Randomness for sids, duplicates and reordering; pass mulberry32(seed) to replay a run. */
  rng?: () => number;
  /** Paths of the number's webhooks; default /twilio/voice, /twilio/status, /twilio/fallback. */
  hooks?: Partial<NumberHooks>;
}

export interface PlaceCallOptions {
  from: string;
  /** The tracking number called. */
  to: string;
  outcome: CallOutcome;
  /** Caller's ZIP: fills the From and Caller places from the `zipcodes` package. */
  fromZip?: string;
  /** Where Twilio places the tracking number (the To and Called places); else empty strings. */
  toZip?: string;
  /** Sent only when given: Twilio sends CallerName only with caller-ID lookup enabled. */
  callerName?: string;
  /** How long the agent's phone rings before the outcome (answered, canceled). */
  ringSeconds?: number;
  /** How long the agent talks (answered) or the caller's message lasts (voicemail). */
  talkSeconds?: number;
  /** How many callbacks after the first voice webhook to send twice, as Twilio's retries do. */
  duplicates?: number;
  /** Deliver the asynchronous callbacks late and in a shuffled order. */
  reorder?: boolean;
  /**
   * What is said once an agent answers. Sent as real-time transcription callbacks, only when
   * Leadline's TwiML started transcription (<Start><Transcription>) and the call was answered.
   */
  utterances?: { track: TranscriptTrack; text: string }[];
  /** Real wall-clock delay between deliveries (default 0: no sleeping). */
  delayMs?: number;
  callSid?: string;
}

export type DeliveryKind =
  | 'voice'
  | 'voice-fallback'
  | 'redirect'
  | 'dial-action'
  | 'record-action'
  | 'call-status'
  | 'recording-status'
  | 'transcription';

export interface Delivery {
  kind: DeliveryKind;
  path: string;
  params: Record<string, string>;
  status: number;
  responseText: string;
  /** A retry of an earlier delivery: same body, signature and I-Twilio-Idempotency-Token. */
  duplicate: boolean;
}

/** The final state a correct receiver must end with, whatever order the callbacks came in. */
export interface ExpectedCall {
  /** The parent call's final CallStatus as Twilio reports it. */
  status: string;
  /** The parent call's CallDuration. */
  durationSeconds: number;
  /** An agent picked up. */
  answered: boolean;
  /** A recording was made (voicemail or a recorded <Dial>). */
  recording: boolean;
  /** DialCallStatus of the (first) <Dial>, when the TwiML dialed. */
  dialCallStatus?: string;
}

export interface PlacedCall {
  callSid: string;
  childCallSid?: string;
  voiceResponse: { status: number; twiml: string };
  /** Numbers the TwiML <Dial> told Twilio to ring. */
  dialed?: string[];
  /** The TwiML answered <Reject>. */
  rejected: boolean;
  /** Every request sent, in the order it was sent. */
  deliveries: Delivery[];
  expected: ExpectedCall;
}

/** A signed webhook, before it is sent. */
export interface SignedWebhook extends WebhookRequest {
  kind: DeliveryKind;
  params: Params;
  /** Simulated seconds since the call came in; with `seq`, the chronological order. */
  at: number;
  seq: number;
}

/** The first, synchronous voice webhook of a call, signed but not sent (benchmarks, tests). */
export interface PlannedCall {
  callSid: string;
  voice: SignedWebhook;
}
