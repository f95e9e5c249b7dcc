/**
 * The parameters Twilio puts in its webhooks, built the way Twilio builds them, plus the small
 * helpers (seeded randomness, sids, RFC 2822 time) the carrier simulator needs for them.
 */
import { lookup as lookupZip } from 'zipcodes';

export type Params = Record<string, string>;

export { mulberry32 } from '../../shared/random';

/** A Twilio sid: two-letter prefix and 32 lowercase hex digits (CA… calls, RE… recordings). */
export function makeSid(prefix: 'CA' | 'RE' | 'GT', rng: () => number): string {
  let hex = '';
  for (let i = 0; i < 32; i++) hex += Math.floor(rng() * 16).toString(16);
  return `${prefix}${hex}`;
}

/** An opaque token, as Twilio's CallToken and I-Twilio-Idempotency-Token are to receivers. */
export function makeToken(rng: () => number, length = 40): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let token = '';
  for (let i = 0; i < length; i++) token += alphabet[Math.floor(rng() * alphabet.length)] ?? 'A';
  return token;
}

/** Fisher-Yates with the given randomness; returns a new array. */
export function shuffle<T>(items: readonly T[], rng: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** RFC 2822 in UTC, as Twilio writes `Timestamp`: "Mon, 01 Jun 2026 15:00:05 +0000". */
export function rfc2822(at: Date): string {
  const day = DAYS[at.getUTCDay()] ?? '';
  const month = MONTHS[at.getUTCMonth()] ?? '';
  const time = `${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}`;
  return `${day}, ${pad(at.getUTCDate())} ${month} ${at.getUTCFullYear()} ${time} +0000`;
}

/** Twilio's `Duration`: billed minutes, every started minute counts. */
export function billedMinutes(seconds: number): number {
  return Math.ceil(Math.max(0, seconds) / 60);
}

/** Where Twilio places a number: it knows nothing beyond the country when it has no data. */
export interface Place {
  city: string;
  state: string;
  zip: string;
  country: string;
}

/**
 * The place Twilio would report for a US ZIP. Twilio sends city names in capitals and empty
 * strings (not missing fields) when it cannot place a number, so receivers must handle both.
 */
export function placeFromZip(zip: string | undefined, e164: string): Place {
  const country = e164.startsWith('+1') ? 'US' : '';
  const found = zip === undefined ? undefined : lookupZip(zip);
  if (!found) return { city: '', state: '', zip: '', country };
  return {
    city: found.city.toUpperCase(),
    state: found.state,
    zip: found.zip,
    country: found.country === 'Canada' ? 'CA' : found.country,
  };
}

function geo(prefix: string, place: Place): Params {
  return {
    [`${prefix}City`]: place.city,
    [`${prefix}State`]: place.state,
    [`${prefix}Zip`]: place.zip,
    [`${prefix}Country`]: place.country,
  };
}

/** One leg of a call as Twilio describes it in every webhook about that leg. */
export interface LegIdentity {
  accountSid: string;
  callSid: string;
  from: string;
  to: string;
  fromPlace: Place;
  toPlace: Place;
  direction: 'inbound' | 'outbound-dial' | 'outbound-api';
  parentCallSid?: string;
  callerName?: string;
}

/**
 * The parameters Twilio repeats in every request about a leg: From/To with their Caller/Called
 * twins and the place of each. CallStatus is left to the caller, it changes per request.
 */
export function legParams(leg: LegIdentity): Params {
  return {
    AccountSid: leg.accountSid,
    ApiVersion: '2010-04-01',
    CallSid: leg.callSid,
    ...(leg.parentCallSid === undefined ? {} : { ParentCallSid: leg.parentCallSid }),
    Direction: leg.direction,
    From: leg.from,
    Caller: leg.from,
    To: leg.to,
    Called: leg.to,
    ...geo('From', leg.fromPlace),
    ...geo('Caller', leg.fromPlace),
    ...geo('To', leg.toPlace),
    ...geo('Called', leg.toPlace),
    // Only sent when the number has caller-ID lookup (CNAM) enabled and it found a name.
    ...(leg.callerName === undefined ? {} : { CallerName: leg.callerName }),
  };
}

/** The status-callback additions Twilio makes to a leg's params for one call-progress event. */
export function progressParams(event: {
  callStatus: string;
  sequenceNumber: number;
  at: Date;
  /** Present on the final event only. */
  durationSeconds?: number;
}): Params {
  return {
    CallStatus: event.callStatus,
    CallbackSource: 'call-progress-events',
    SequenceNumber: String(event.sequenceNumber),
    Timestamp: rfc2822(event.at),
    ...(event.durationSeconds === undefined
      ? {}
      : {
          CallDuration: String(event.durationSeconds),
          Duration: String(billedMinutes(event.durationSeconds)),
        }),
  };
}

/** Where Twilio says a recording can be fetched (the REST resource; append .mp3 or .wav). */
export function recordingUrl(accountSid: string, recordingSid: string): string {
  return `https://api.twilio.com/2010-04-01/Accounts/${accountSid}/Recordings/${recordingSid}`;
}

/** The recordingStatusCallback Twilio sends once a recording is processed and stored. */
export function recordingStatusParams(r: {
  accountSid: string;
  callSid: string;
  recordingSid: string;
  durationSeconds: number;
  channels: number;
  source: 'RecordVerb' | 'DialVerb';
  startedAt: Date;
}): Params {
  return {
    AccountSid: r.accountSid,
    CallSid: r.callSid,
    RecordingSid: r.recordingSid,
    RecordingUrl: recordingUrl(r.accountSid, r.recordingSid),
    RecordingStatus: 'completed',
    RecordingDuration: String(r.durationSeconds),
    RecordingChannels: String(r.channels),
    RecordingSource: r.source,
    RecordingStartTime: rfc2822(r.startedAt),
  };
}
