/**
 * The carrier simulator: plays inbound calls to a tracking number exactly as Twilio would, as
 * signed, form-encoded webhooks to Leadline, following whatever TwiML Leadline answers with.
 * The test suite, `npm run simulate` and demo mode all drive Leadline through it, so what it sends
 * is the Twilio contract Leadline is held to (see ARCHITECTURE.md, "A call").
 */
import { signTwilioRequest } from '../../shared/twilio';
import { playCall, type CallEnvironment } from './call';
import { playOutboundCall, type OutboundCallOptions } from './outbound';
import {
  legParams,
  makeSid,
  makeToken,
  placeFromZip,
  type LegIdentity,
  type Params,
} from './params';
import type {
  DeliveryKind,
  NumberHooks,
  PlaceCallOptions,
  PlacedCall,
  PlannedCall,
  SignedWebhook,
  SimulatorOptions,
  WebhookSender,
} from './types';

export { mulberry32 } from './params';
export type * from './types';
export type { OutboundCallOptions, PlacedOutboundCall } from './outbound';

const DEFAULT_HOOKS: NumberHooks = {
  voice: '/twilio/voice',
  statusCallback: '/twilio/status',
  voiceFallback: '/twilio/fallback',
};

/** Builds a simulator for one Twilio account and one Leadline deployment. */
export function createCarrierSimulator(opts: SimulatorOptions) {
  const base = opts.publicBaseUrl.replace(/\/+$/, '');
  const hooks: NumberHooks = { ...DEFAULT_HOOKS, ...opts.hooks };
  const rng = opts.rng ?? Math.random;
  const now = opts.now ?? (() => new Date());
  const send = opts.send ?? fetchSender((opts.targetBaseUrl ?? base).replace(/\/+$/, ''));
  let seq = 0;

  function sign(kind: DeliveryKind, path: string, params: Params, at: number): SignedWebhook {
    const url = `${base}${path}`;
    return {
      kind,
      path,
      url,
      params,
      at,
      seq: seq++,
      body: new URLSearchParams(params).toString(),
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'X-Twilio-Signature': signTwilioRequest(opts.authToken, url, params),
        // Twilio keeps this token across retries of one webhook, so receivers may dedupe on it.
        'I-Twilio-Idempotency-Token': makeToken(rng, 36),
        'User-Agent': 'TwilioProxy/1.1',
        Accept: '*/*',
      },
    };
  }

  /** The path Twilio requests for a URL in TwiML: absolute, or relative to the document. */
  function hookPath(ref: string, documentUrl: string): string {
    const trimmed = ref.trim();
    // Kept verbatim: Twilio signs the URL exactly as written, so no normalising.
    if (trimmed.startsWith(`${base}/`) || trimmed.startsWith(`${base}?`)) {
      return trimmed.slice(base.length);
    }
    const resolved = new URL(trimmed, documentUrl).toString();
    if (!resolved.startsWith(`${base}/`)) {
      throw new Error(`TwiML points Twilio at ${resolved}, outside publicBaseUrl ${base}`);
    }
    return resolved.slice(base.length);
  }

  function parentLeg(o: PlaceCallOptions, callSid: string): LegIdentity {
    return {
      accountSid: opts.accountSid,
      callSid,
      from: o.from,
      to: o.to,
      fromPlace: placeFromZip(o.fromZip, o.from),
      toPlace: placeFromZip(o.toZip, o.to),
      direction: 'inbound',
      ...(o.callerName === undefined ? {} : { callerName: o.callerName }),
    };
  }

  /** The call's first webhook, signed but not sent: for benchmarks and hand-driven tests. */
  function planCall(o: PlaceCallOptions): PlannedCall {
    const callSid = o.callSid ?? makeSid('CA', rng);
    const params = {
      ...legParams(parentLeg(o, callSid)),
      CallStatus: 'ringing',
      CallToken: makeToken(rng, 64),
    };
    return { callSid, voice: sign('voice', hooks.voice, params, 0) };
  }

  function environment(): CallEnvironment {
    return {
      accountSid: opts.accountSid,
      hooks,
      rng,
      send,
      startedAt: now().getTime(),
      // A call plays in moments, not minutes: against a real clock its later events would be
      // stamped in the future, so they are held at now (the lengths Twilio reports stay simulated).
      stamp: (ms: number) => new Date(opts.neverAfterNow ? Math.min(ms, now().getTime()) : ms),
      sign,
      hookPath,
    };
  }

  /** Plays one call to the end; reports what was sent and what the receiver should now hold. */
  function placeCall(o: PlaceCallOptions): Promise<PlacedCall> {
    const planned = planCall(o);
    return playCall(environment(), o, planned, parentLeg(o, planned.callSid));
  }

  /** Plays a call placed through the REST API (`POST /Calls.json`): see outbound.ts. */
  function placeOutboundCall(o: OutboundCallOptions) {
    return playOutboundCall(environment(), o);
  }

  return { planCall, placeCall, placeOutboundCall };
}
export type CarrierSimulator = ReturnType<typeof createCarrierSimulator>;

function fetchSender(targetBaseUrl: string): WebhookSender {
  return async (req) => {
    const res = await fetch(`${targetBaseUrl}${req.path}`, {
      method: 'POST',
      headers: req.headers,
      body: req.body,
    });
    return { status: res.status, text: await res.text() };
  };
}
