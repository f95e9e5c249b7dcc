/**
 * What Twilio does for the two verbs that spawn more webhooks: <Dial> (a child leg with its own
 * status callbacks, then the dial action) and <Record> (the record action and the recording's
 * status callback).
 */
import {
  legParams,
  makeSid,
  placeFromZip,
  progressParams,
  recordingStatusParams,
  recordingUrl,
  type LegIdentity,
  type Params,
} from './params';
import { intAttribute, planDial } from './timeline';
import { listAttribute, type TwimlNode } from './twiml';
import type { DeliveryKind, PlaceCallOptions, SignedWebhook } from './types';

/** Mutable facts about one call while it plays, in simulated seconds since it came in. */
export interface CallState {
  clock: number;
  /** When Twilio answered the caller; billing and CallDuration run from here. */
  answeredAt?: number;
  hungUp: boolean;
  answered: boolean;
  recording: boolean;
  childCallSid?: string;
  dialed?: string[];
  dialCallStatus?: string;
}

/** What a verb needs from the call playing it. */
export interface CallContext {
  o: PlaceCallOptions;
  accountSid: string;
  rng: () => number;
  parent: LegIdentity;
  state: CallState;
  at(seconds: number): Date;
  sign(kind: DeliveryKind, path: string, params: Params, at: number): SignedWebhook;
  hookPath(ref: string, documentUrl: string): string;
  /** An asynchronous callback: sent later, maybe out of order, maybe twice. */
  queue(req: SignedWebhook): void;
  /** A synchronous TwiML request; null when Twilio would give up on it. */
  fetchTwiml(req: SignedWebhook): Promise<TwimlNode | null>;
  /** The parent's params with a CallStatus. */
  parentParams(callStatus: string): Params;
}

export type Step = 'continue' | 'stop' | { twiml: TwimlNode; url: string };

/** The parent's CallStatus as Twilio reports it in mid-call requests. */
export function parentStatusNow(state: CallState): string {
  if (!state.hungUp) return 'in-progress';
  return state.answeredAt === undefined ? 'canceled' : 'completed';
}

export async function dial(ctx: CallContext, verb: TwimlNode, documentUrl: string): Promise<Step> {
  const { state } = ctx;
  const nouns = verb.children.filter((n) => n.name === 'Number');
  const targets: { number: string; noun?: TwimlNode }[] = nouns.length
    ? nouns.map((noun) => ({ number: noun.text, noun }))
    : verb.text
      ? [{ number: verb.text }]
      : [];
  const plan = planDial(ctx.o, targets.length, state.clock, intAttribute(verb.attrs.timeout, 30));
  // answerOnBridge keeps the caller hearing ringback, unanswered, until an agent picks up.
  if (verb.attrs.answerOnBridge !== 'true') state.answeredAt ??= state.clock;
  const legs = targets.map((target, i) => ({
    target,
    plan: plan.legs[i],
    sid: makeSid('CA', ctx.rng),
  }));
  const winner = plan.winner === undefined ? undefined : legs[plan.winner];
  state.dialed ??= targets.map((t) => t.number);
  state.childCallSid ??= legs[0]?.sid;
  state.dialCallStatus ??= plan.dialCallStatus;

  for (const { target, plan: leg, sid } of legs) {
    const callback = target.noun?.attrs.statusCallback;
    if (!callback || !leg) continue;
    const path = ctx.hookPath(callback, documentUrl);
    const requested = listAttribute(target.noun?.attrs.statusCallbackEvent);
    const events = new Set(requested.length ? requested : ['completed']);
    const child = legParams(childLeg(ctx.parent, sid, target.number, verb.attrs.callerId));
    let sequenceNumber = 0;
    const emit = (callStatus: string, time: number, durationSeconds?: number) => {
      const progress = progressParams({
        callStatus,
        sequenceNumber: sequenceNumber++,
        at: ctx.at(time),
        ...(durationSeconds === undefined ? {} : { durationSeconds }),
      });
      ctx.queue(ctx.sign('call-status', path, { ...child, ...progress }, time));
    };
    if (events.has('initiated')) emit('initiated', leg.initiatedAt);
    if (events.has('ringing') && leg.rangAt !== undefined) emit('ringing', leg.rangAt);
    if (events.has('answered') && leg.answeredAt !== undefined) emit('in-progress', leg.answeredAt);
    if (events.has('completed')) emit(leg.status, leg.endAt, leg.talkSeconds);
  }

  state.clock = plan.endAt;
  if (winner) {
    state.answered = true;
    state.answeredAt ??= winner.plan?.answeredAt;
  }
  if (plan.callerHungUp) state.hungUp = true;

  const recordMode = verb.attrs.record ?? 'do-not-record';
  const recorded = winner !== undefined && !['do-not-record', 'false'].includes(recordMode);
  const recordingSid = recorded ? makeSid('RE', ctx.rng) : undefined;
  const recordingSeconds =
    plan.talkSeconds + (recordMode.includes('ringing') ? plan.ringSeconds : 0);
  if (recordingSid) {
    state.recording = true;
    const callback = verb.attrs.recordingStatusCallback;
    const events = listAttribute(verb.attrs.recordingStatusCallbackEvent);
    if (callback && (events.length === 0 || events.includes('completed'))) {
      const params = recordingStatusParams({
        accountSid: ctx.accountSid,
        callSid: ctx.parent.callSid,
        recordingSid,
        durationSeconds: recordingSeconds,
        channels: recordMode.includes('dual') ? 2 : 1,
        source: 'DialVerb',
        startedAt: ctx.at(plan.endAt - recordingSeconds),
      });
      // Recordings are processed after the leg ends, so their callback comes a little later.
      const path = ctx.hookPath(callback, documentUrl);
      ctx.queue(ctx.sign('recording-status', path, params, plan.endAt + 2));
    }
  }

  if (!verb.attrs.action) return state.hungUp ? 'stop' : 'continue';
  const action = ctx.sign(
    'dial-action',
    ctx.hookPath(verb.attrs.action, documentUrl),
    {
      ...ctx.parentParams(parentStatusNow(state)),
      DialCallStatus: plan.dialCallStatus,
      DialCallSid: (winner ?? legs[0])?.sid ?? '',
      DialCallDuration: String(plan.talkSeconds),
      DialBridged: winner ? 'true' : 'false',
      ...(recordingSid
        ? {
            RecordingUrl: recordingUrl(ctx.accountSid, recordingSid),
            RecordingSid: recordingSid,
            RecordingDuration: String(recordingSeconds),
          }
        : {}),
    },
    state.clock,
  );
  const next = await ctx.fetchTwiml(action);
  // With the caller gone Twilio still reports the dial, but has no call left to steer.
  if (!next || state.hungUp) return 'stop';
  return { twiml: next, url: action.url };
}

export async function record(
  ctx: CallContext,
  verb: TwimlNode,
  documentUrl: string,
): Promise<void> {
  const { state } = ctx;
  state.answeredAt ??= state.clock;
  // Only a 'voicemail' caller speaks after the beep; anyone else hangs up without a message.
  state.hungUp = true;
  if (ctx.o.outcome !== 'voicemail') return;
  const seconds = Math.min(
    Math.max(1, ctx.o.talkSeconds ?? 20),
    intAttribute(verb.attrs.maxLength, 3600),
  );
  const startedAt = state.clock + 1; // the beep
  state.clock = startedAt + seconds;
  state.recording = true;
  const recordingSid = makeSid('RE', ctx.rng);
  const callback = verb.attrs.recordingStatusCallback;
  if (callback) {
    const params = recordingStatusParams({
      accountSid: ctx.accountSid,
      callSid: ctx.parent.callSid,
      recordingSid,
      durationSeconds: seconds,
      channels: 1,
      source: 'RecordVerb',
      startedAt: ctx.at(startedAt),
    });
    const path = ctx.hookPath(callback, documentUrl);
    ctx.queue(ctx.sign('recording-status', path, params, state.clock + 3));
  }
  // Twilio posts the result even though the caller hung up; without an action, to the current
  // document's URL. The TwiML it gets back has no call left to run.
  const path = ctx.hookPath(verb.attrs.action ?? documentUrl, documentUrl);
  await ctx.fetchTwiml(
    ctx.sign(
      'record-action',
      path,
      {
        ...ctx.parentParams('completed'),
        RecordingUrl: recordingUrl(ctx.accountSid, recordingSid),
        RecordingSid: recordingSid,
        RecordingDuration: String(seconds),
        Digits: 'hangup',
      },
      state.clock,
    ),
  );
}

/** A <Dial>ed leg: Twilio shows the caller's number to the agent unless callerId says otherwise. */
function childLeg(
  parent: LegIdentity,
  callSid: string,
  to: string,
  callerId?: string,
): LegIdentity {
  return {
    accountSid: parent.accountSid,
    callSid,
    parentCallSid: parent.callSid,
    direction: 'outbound-dial',
    from: callerId ?? parent.from,
    to,
    fromPlace: callerId === undefined ? parent.fromPlace : placeFromZip(undefined, callerId),
    toPlace: placeFromZip(undefined, to),
  };
}
