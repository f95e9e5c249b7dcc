/**
 * The one place Leadline imports `twilio`. Everything else talks to Twilio through the small
 * interfaces below, so it can be tested without the SDK or the network.
 */
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import { lookup as lookupZip } from 'zipcodes';

// ---------------------------------------------------------------------------------------------
// TwiML: the answers Leadline gives a call are built with the package's own writer
// ---------------------------------------------------------------------------------------------

export const VoiceResponse = twilio.twiml.VoiceResponse;
export type VoiceResponse = InstanceType<typeof VoiceResponse>;

// ---------------------------------------------------------------------------------------------
// REST API: phone numbers
// ---------------------------------------------------------------------------------------------

/** Where Twilio sends a tracking number's calls: the webhooks Leadline answers. */
export interface VoiceHooks {
  voiceUrl: string;
  statusCallback: string;
  voiceFallbackUrl: string;
}

/** A number Twilio offers for sale, with the place Twilio says it belongs to (local numbers only). */
export interface AvailableNumber {
  e164: string;
  locality?: string;
  region?: string;
  postalCode?: string;
  lat?: number;
  lon?: number;
}

export interface AvailableNumberQuery {
  /** ISO 3166-1 alpha-2; defaults to US. */
  country?: string;
  areaCode?: string;
  /** Numbers in this US ZIP first, then (when that is not enough) within 50 miles of it. */
  nearZip?: string;
  tollFree?: boolean;
  /** Never more than this many numbers come back. */
  limit: number;
}

/** Search, buy, point at Leadline's webhooks, and release Twilio numbers. */
export interface TwilioNumbersApi {
  searchAvailable(q: AvailableNumberQuery): Promise<AvailableNumber[]>;
  buy(
    e164: string,
    hooks: VoiceHooks,
    friendlyName?: string,
  ): Promise<{ sid: string; e164: string }>;
  configure(sid: string, hooks: VoiceHooks): Promise<void>;
  release(sid: string): Promise<void>;
}

/** Twilio refused a request, or could not be reached (then `status` is 0 and `code` undefined). */
export class TwilioApiError extends Error {
  constructor(
    message: string,
    /** The HTTP status Twilio answered with; 0 when no answer arrived. */
    readonly status: number,
    /** Twilio's error code (https://www.twilio.com/docs/errors/<code>), e.g. 21422. */
    readonly code: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TwilioApiError';
  }
}

export interface TwilioRestOptions {
  accountSid: string;
  authToken: string;
  /** Sends every request here instead of https://*.twilio.com (the stand-in: TWILIO_API_BASE_URL). */
  baseUrl?: string;
}

/** How far around a ZIP to look when the ZIP itself has too few numbers. */
const NEAR_ZIP_MILES = 50;

/** Builds the numbers API over the real twilio client. */
export function createTwilioNumbersApi(opts: TwilioRestOptions): TwilioNumbersApi {
  const client = createRestClient(opts);

  async function listAvailable(
    q: AvailableNumberQuery,
    filters: { inPostalCode?: string; nearLatLong?: string; distance?: number },
  ): Promise<AvailableNumber[]> {
    const country = client.availablePhoneNumbers(q.country ?? 'US');
    const options = {
      ...filters,
      // twilio types AreaCode as a number; it is sent as the same three digits either way.
      ...(q.areaCode === undefined ? {} : { areaCode: Number(q.areaCode) }),
      limit: q.limit,
    };
    const found = q.tollFree
      ? await country.tollFree.list(options)
      : await country.local.list(options);
    return found.map((n) => ({
      e164: n.phoneNumber,
      ...optional('locality', n.locality),
      ...optional('region', n.region),
      ...optional('postalCode', n.postalCode),
      ...optional('lat', coordinate(n.latitude)),
      ...optional('lon', coordinate(n.longitude)),
    }));
  }

  return {
    searchAvailable: (q) =>
      callTwilio(async () => {
        // twilio's list() rejects a limit below 1 instead of returning nothing.
        if (!(q.limit >= 1)) return [];
        if (q.nearZip === undefined) return listAvailable(q, {});
        const inZip = await listAvailable(q, { inPostalCode: q.nearZip });
        const place = lookupZip(q.nearZip);
        if (inZip.length >= q.limit || !place) return inZip;
        // One ZIP rarely holds enough numbers for a pool, so top up from around it.
        const nearby = await listAvailable(q, {
          nearLatLong: `${place.latitude},${place.longitude}`,
          distance: NEAR_ZIP_MILES,
        });
        const seen = new Set(inZip.map((n) => n.e164));
        const extra = nearby.filter((n) => !seen.has(n.e164));
        return [...inZip, ...extra].slice(0, q.limit);
      }),

    buy: (e164, hooks, friendlyName) =>
      callTwilio(async () => {
        const bought = await client.incomingPhoneNumbers.create({
          phoneNumber: e164,
          ...hookParams(hooks),
          ...(friendlyName === undefined ? {} : { friendlyName }),
        });
        return { sid: bought.sid, e164: bought.phoneNumber };
      }),

    configure: (sid, hooks) =>
      callTwilio(async () => {
        await client.incomingPhoneNumbers(sid).update(hookParams(hooks));
      }),

    release: (sid) =>
      callTwilio(async () => {
        await client.incomingPhoneNumbers(sid).remove();
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// REST API: outbound calls (follow-up callbacks)
// ---------------------------------------------------------------------------------------------

/** A call Leadline places: Twilio rings `to`, then asks `url` for the TwiML of the answered call. */
export interface OutboundCall {
  to: string;
  /** The caller id the called party sees (a number Leadline owns). */
  from: string;
  url: string;
  statusCallback: string;
}

/** Places calls through Twilio's REST API. */
export interface TwilioCallsApi {
  createCall(call: OutboundCall): Promise<{ sid: string }>;
}

/** Builds the calls API over the real twilio client. */
export function createTwilioCallsApi(opts: TwilioRestOptions): TwilioCallsApi {
  const client = createRestClient(opts);
  return {
    createCall: (call) =>
      callTwilio(async () => {
        const created = await client.calls.create({
          to: call.to,
          from: call.from,
          url: call.url,
          method: 'POST',
          statusCallback: call.statusCallback,
          statusCallbackMethod: 'POST',
          statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
        });
        return { sid: created.sid };
      }),
  };
}

function hookParams(hooks: VoiceHooks) {
  return {
    voiceUrl: hooks.voiceUrl,
    voiceMethod: 'POST',
    statusCallback: hooks.statusCallback,
    statusCallbackMethod: 'POST',
    voiceFallbackUrl: hooks.voiceFallbackUrl,
    voiceFallbackMethod: 'POST',
  };
}

/** Twilio sends coordinates as strings ("37.770000") although twilio's types say number. */
function coordinate(value: unknown): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

function optional<K extends string, V>(key: K, value: V | null | undefined): { [P in K]?: V } {
  return value === null || value === undefined || value === ''
    ? {}
    : ({ [key]: value } as { [P in K]?: V });
}

// ---------------------------------------------------------------------------------------------
// Webhooks: signatures
// ---------------------------------------------------------------------------------------------

/**
 * The `X-Twilio-Signature` Twilio sends for a form-encoded POST to `url` (the full URL as Twilio
 * requested it, with any query string); the carrier simulator and tests sign with it.
 */
export function signTwilioRequest(
  authToken: string,
  url: string,
  params: Record<string, string>,
): string {
  return twilio.getExpectedTwilioSignature(authToken, url, params);
}

/** Whether `signature` is what Twilio would send for these params posted to `url`. */
export function isValidTwilioSignature(
  authToken: string,
  signature: string | undefined,
  url: string,
  params: Record<string, string>,
): boolean {
  if (!signature) return false;
  try {
    return twilio.validateRequest(authToken, signature, url, params);
  } catch {
    // validateRequest re-parses the URL with `new URL()`, which throws on a malformed one.
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// REST client plumbing
// ---------------------------------------------------------------------------------------------

// 429 means Twilio did not act on the request, so retrying it (even a purchase) is safe.
const CLIENT_OPTIONS = { autoRetry: true, maxRetries: 3 } as const;

function createRestClient(opts: TwilioRestOptions): twilio.Twilio {
  if (opts.baseUrl === undefined) return twilio(opts.accountSid, opts.authToken, CLIENT_OPTIONS);
  return twilio(opts.accountSid, opts.authToken, {
    httpClient: new RebasedRequestClient(new URL(opts.baseUrl), CLIENT_OPTIONS),
  });
}

/**
 * Redirects twilio's requests to another base URL. Setting `client.api.baseUrl` is not enough:
 * twilio then rewrites the host for edges/regions, which turns a two-label host such as
 * `standin.local` into `standin.local.standin.local` (and 127.0.0.1 into 127.au1.0.1 when
 * TWILIO_REGION is set). Rewriting after twilio has built the URL avoids all of that, and also
 * covers page URLs and any *.twilio.com domain, so no request can slip out to the real Twilio.
 */
class RebasedRequestClient extends twilio.RequestClient {
  constructor(
    private readonly base: URL,
    options: RequestClient.RequestClientOptions,
  ) {
    super(options);
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    return super.request({ ...opts, uri: rebase(opts.uri, this.base) });
  }
}

function rebase(uri: string, base: URL): string {
  const url = new URL(uri);
  if (!/(^|\.)twilio\.com$/.test(url.hostname)) return uri;
  const prefix = base.pathname.replace(/\/+$/, '');
  return `${base.origin}${prefix}${url.pathname}${url.search}`;
}

/** Runs a twilio call and turns its failures into TwilioApiError. */
async function callTwilio<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toTwilioApiError(err);
  }
}

function toTwilioApiError(err: unknown): unknown {
  if (err instanceof twilio.RestException) {
    return new TwilioApiError(err.message, err.status, err.code, { cause: err });
  }
  if (!(err instanceof Error)) return err;
  // TwilioServiceException (RFC 9457 answers) is not exported by twilio; recognise it by shape.
  const fields = err as Error & { status?: unknown; code?: unknown };
  if (typeof fields.status === 'number' && typeof fields.code === 'number') {
    return new TwilioApiError(err.message, fields.status, fields.code, { cause: err });
  }
  // axios's transport failures (ECONNREFUSED, ETIMEDOUT, ...) carry a string code and no answer.
  if (typeof fields.code === 'string') {
    return new TwilioApiError(`Twilio unreachable: ${fields.code}`, 0, undefined, { cause: err });
  }
  return err;
}
