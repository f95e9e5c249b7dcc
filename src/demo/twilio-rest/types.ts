/** The Twilio REST stand-in's public shapes: how to start it and what tests can observe. */
import type { InventoryKind } from './inventory';

export interface TwilioStandinOptions {
  accountSid: string;
  authToken: string;
  /** 'realistic' (default): real US places and toll-free numbers; 'demo': only 555-01XX numbers. */
  inventory?: InventoryKind;
  /**
   * Told of each call placed through `POST /Calls.json`, after it is answered 201: demo mode plays
   * it with the carrier simulator, as Twilio would ring it. Without it nobody's phone rings.
   */
  onCallCreated?: (call: StandinOutboundCall) => void;
}

/** An IncomingPhoneNumber the stand-in's account owns (or owned, once released). */
export interface StandinIncomingNumber {
  sid: string;
  accountSid: string;
  phoneNumber: string;
  friendlyName: string;
  voiceUrl: string;
  voiceMethod: string;
  voiceFallbackUrl: string;
  voiceFallbackMethod: string;
  statusCallback: string;
  statusCallbackMethod: string;
  dateCreated: Date;
  dateUpdated: Date;
}

/** A call placed through `POST /Calls.json` (Leadline's follow-up callbacks). */
export interface StandinOutboundCall {
  sid: string;
  to: string;
  from: string;
  url: string;
  statusCallback: string;
  /** StatusCallbackEvent: which progress events go to statusCallback (Twilio's default: completed). */
  statusCallbackEvent: string[];
  dateCreated: Date;
}

export interface StandinRequest {
  method: string;
  path: string;
  /** Query string and form body merged, as Twilio reads them. */
  params: Record<string, string>;
  status: number;
}

export interface InjectedFailure {
  status: number;
  code: number;
  message?: string;
}

/** What the stand-in did, for tests to assert on, and a switch to make it fail. */
export interface StandinState {
  /** Numbers owned right now, by sid. */
  readonly owned: ReadonlyMap<string, StandinIncomingNumber>;
  /** Every purchase as it was made (later updates not applied), including numbers released since. */
  readonly purchased: readonly StandinIncomingNumber[];
  readonly released: readonly StandinIncomingNumber[];
  /** Calls placed through the REST API, in order. */
  readonly calls: readonly StandinOutboundCall[];
  readonly requests: readonly StandinRequest[];
  /** Answers the next `count` requests, whatever they are, with this Twilio error. */
  failNext(count: number, failure: InjectedFailure): void;
  isAvailable(e164: string): boolean;
  /** Puts a released number back on sale, as Twilio eventually does after ageing it. */
  restock(e164: string): void;
}

export interface TwilioStandin {
  /** e.g. http://127.0.0.1:40123 — what `TWILIO_API_BASE_URL` should be set to. */
  baseUrl: string;
  state: StandinState;
  close(): Promise<void>;
}
