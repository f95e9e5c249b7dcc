/**
 * A call placed through Twilio's REST API (`POST /Calls.json`, Direction outbound-api), as Twilio
 * plays it: ring `To`; if they answer, fetch `Url` (signed) and follow its TwiML; report progress
 * to `StatusCallback` for the events asked for. Leadline's follow-up callbacks are such calls.
 */
import { deliveryOf, playCall, type CallEnvironment } from './call';
import { legParams, placeFromZip, progressParams, type LegIdentity } from './params';
import { planDial } from './timeline';
import type { CallOutcome, Delivery, PlacedCall } from './types';

export interface OutboundCallOptions {
  /** The sid Twilio's REST API answered with. */
  callSid: string;
  /** The caller id `To` sees (a number the account owns). */
  from: string;
  /** Who Twilio rings first (for a callback, the agent). */
  to: string;
  /** Absolute: the TwiML Twilio asks for once `To` answers. */
  url: string;
  /** Absolute, optional: where progress events go. */
  statusCallback?: string;
  /** Which events go to statusCallback: initiated, ringing, answered, completed (the default). */
  statusCallbackEvent?: string[];
  /** How `To` answers. */
  outcome: Exclude<CallOutcome, 'voicemail'>;
  ringSeconds?: number;
  /** Whoever the TwiML dials (for a callback, the caller): how they answer and how long they talk. */
  dialed?: { outcome: CallOutcome; ringSeconds?: number; talkSeconds?: number };
}

export interface PlacedOutboundCall {
  callSid: string;
  /** The call's final CallStatus as Twilio reports it. */
  status: string;
  /** `To` answered, so the TwiML at `url` was fetched and played. */
  answered: boolean;
  /** What `url` answered, when it was fetched. */
  twiml?: string;
  /** Numbers the TwiML's <Dial> rang. */
  dialed?: string[];
  /** Every request sent, in order. */
  deliveries: Delivery[];
}

/** How long Twilio rings `To` before giving up (the REST API's Timeout default). */
const RING_TIMEOUT_SECONDS = 60;

export async function playOutboundCall(
  env: CallEnvironment,
  o: OutboundCallOptions,
): Promise<PlacedOutboundCall> {
  const leg: LegIdentity = {
    accountSid: env.accountSid,
    callSid: o.callSid,
    from: o.from,
    to: o.to,
    fromPlace: placeFromZip(undefined, o.from),
    toPlace: placeFromZip(undefined, o.to),
    direction: 'outbound-api',
  };
  const events = new Set(o.statusCallbackEvent?.length ? o.statusCallbackEvent : ['completed']);
  const statusPath = o.statusCallback ? env.hookPath(o.statusCallback, o.url) : null;
  const plan = planDial(
    { outcome: o.outcome, ringSeconds: o.ringSeconds, talkSeconds: 1 },
    1,
    0,
    RING_TIMEOUT_SECONDS,
  ).legs[0];
  if (!plan) throw new Error('no leg planned');
  const deliveries: Delivery[] = [];
  let sequenceNumber = 0;

  async function progress(callStatus: string, at: number, durationSeconds?: number) {
    const seq = sequenceNumber++;
    if (!statusPath) return;
    const req = env.sign(
      'call-status',
      statusPath,
      {
        ...legParams(leg),
        ...progressParams({
          callStatus,
          sequenceNumber: seq,
          at: env.stamp(env.startedAt + at * 1000),
          ...(durationSeconds === undefined ? {} : { durationSeconds }),
        }),
      },
      at,
    );
    const res = await env.send(req);
    deliveries.push(deliveryOf(req, res));
  }

  if (events.has('initiated')) await progress('initiated', plan.initiatedAt);
  if (events.has('ringing') && plan.rangAt !== undefined) await progress('ringing', plan.rangAt);
  if (plan.answeredAt === undefined) {
    // Nobody picked up: the URL is never fetched; the call ends no-answer, busy, failed, canceled.
    if (events.has('completed')) await progress(plan.status, plan.endAt, 0);
    return { callSid: o.callSid, status: plan.status, answered: false, deliveries };
  }
  if (events.has('answered')) await progress('in-progress', plan.answeredAt);

  // Answered: from here on it plays like any call, its TwiML from `url`, billed from the answer.
  const urlPath = env.hookPath(o.url, o.url);
  const answeredEnv: CallEnvironment = {
    ...env,
    startedAt: env.startedAt + plan.answeredAt * 1000,
    hooks: { voice: urlPath, statusCallback: statusPath ?? urlPath, voiceFallback: null },
    finalStatus:
      statusPath && events.has('completed') ? { sequenceNumber: sequenceNumber++ } : null,
  };
  const planned = {
    callSid: o.callSid,
    voice: env.sign('voice', urlPath, { ...legParams(leg), CallStatus: 'in-progress' }, 0),
  };
  const dialed = o.dialed ?? { outcome: 'answered' as const };
  const played: PlacedCall = await playCall(
    answeredEnv,
    { from: o.from, to: o.to, ...dialed },
    planned,
    leg,
  );
  return {
    callSid: o.callSid,
    status: played.expected.status,
    answered: true,
    twiml: played.voiceResponse.twiml,
    ...(played.dialed ? { dialed: played.dialed } : {}),
    deliveries: [...deliveries, ...played.deliveries],
  };
}
