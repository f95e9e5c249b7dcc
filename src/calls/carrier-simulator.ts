/**
 * The carrier simulator: plays inbound calls to a tracking number exactly as Twilio would, as
 * signed, form-encoded webhooks to Leadline, following whatever TwiML Leadline answers with.
 * The test suite, `npm run simulate` and demo mode all drive Leadline through it, so what it sends
 * is the Twilio contract Leadline is held to (DESIGN.md, "External systems: facts to build on").
 */
import { signTwilioRequest } from '../shared/twilio';
import {
  legParams,
  makeSid,
  makeToken,
  placeFromZip,
  progressParams,
  recordingStatusParams,
  recordingUrl,
  shuffle,
  type LegIdentity,
  type Params,
} from './carrier-simulator.params';
import { intAttribute, planDial, playingSeconds } from './carrier-simulator.timeline';
import { listAttribute, parseTwiml, type TwimlNode } from './carrier-simulator.twiml';
import type {
  DeliveryKind,
  NumberHooks,
  PlaceCallOptions,
  PlacedCall,
  PlannedCall,
  SignedWebhook,
  SimulatorOptions,
  WebhookSender,
} from './carrier-simulator.types';

export { mulberry32 } from './carrier-simulator.params';
export type * from './carrier-simulator.types';

const DEFAULT_HOOKS: NumberHooks = {
  voice: '/twilio/voice',
  statusCallback: '/twilio/status',
  voiceFallback: '/twilio/fallback',
};
/** Guards against TwiML that redirects to itself forever. */
const MAX_TWIML_DOCUMENTS = 20;

type Step = 'continue' | 'stop' | { twiml: TwimlNode; url: string };

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

  /** Plays one call to the end and reports what was sent and what the receiver should now hold. */
  async function placeCall(o: PlaceCallOptions): Promise<PlacedCall> {
    const planned = planCall(o);
    const t0 = now().getTime();
    const at = (seconds: number) => new Date(t0 + seconds * 1000);
    const parent = parentLeg(o, planned.callSid);
    const deliveries: PlacedCall['deliveries'] = [];
    /** Asynchronous callbacks not sent yet; in order mode they go out before later requests. */
    let held: SignedWebhook[] = [];
    /** Everything after the voice webhook: what Twilio might retry. */
    const retryable: SignedWebhook[] = [];
    const state = {
      clock: 0,
      /** When Twilio answered the caller; billing and CallDuration run from here. */
      answeredAt: undefined as number | undefined,
      hungUp: false,
      answered: false,
      recording: false,
      documents: 0,
      childCallSid: undefined as string | undefined,
      dialed: undefined as string[] | undefined,
      dialCallStatus: undefined as string | undefined,
    };

    async function deliver(req: SignedWebhook, duplicate = false) {
      if (o.delayMs && deliveries.length > 0) await sleep(o.delayMs);
      const res = await send({
        path: req.path,
        url: req.url,
        headers: req.headers,
        body: req.body,
      });
      deliveries.push({
        kind: req.kind,
        path: req.path,
        params: req.params,
        status: res.status,
        responseText: res.text,
        duplicate,
      });
      return res;
    }

    function queue(req: SignedWebhook) {
      held.push(req);
      retryable.push(req);
    }

    /** A synchronous TwiML request; null when Twilio would give up on it. */
    async function fetchTwiml(req: SignedWebhook): Promise<TwimlNode | null> {
      if (!o.reorder) {
        const due = held.filter((h) => h.at <= req.at).sort(chronological);
        held = held.filter((h) => h.at > req.at);
        for (const h of due) await deliver(h);
      }
      retryable.push(req);
      return twimlOrNull(await deliver(req));
    }

    function parentStatusNow(): string {
      if (!state.hungUp) return 'in-progress';
      return state.answeredAt === undefined ? 'canceled' : 'completed';
    }

    const parentParams = (callStatus: string): Params => ({
      ...legParams(parent),
      CallStatus: callStatus,
    });

    async function execute(response: TwimlNode, documentUrl: string): Promise<void> {
      if (++state.documents > MAX_TWIML_DOCUMENTS) return;
      for (const verb of response.children) {
        if (state.hungUp) return;
        let step: Step = 'continue';
        switch (verb.name) {
          case 'Hangup':
          case 'Reject': // only a first verb rejects; later Twilio has answered, so it hangs up
            step = 'stop';
            break;
          case 'Redirect': {
            const path = hookPath(verb.text, documentUrl);
            const next = await fetchTwiml(
              sign('redirect', path, parentParams('in-progress'), state.clock),
            );
            step = next ? { twiml: next, url: `${base}${path}` } : 'stop';
            break;
          }
          case 'Dial':
            step = await dial(verb, documentUrl);
            break;
          case 'Record':
            state.answeredAt ??= state.clock;
            await record(verb, documentUrl);
            step = 'stop';
            break;
          default:
            // Say, Play, Pause, Gather without input; verbs Leadline does not use take no time.
            state.answeredAt ??= state.clock;
            state.clock += playingSeconds(verb);
        }
        if (step === 'stop') return;
        if (step !== 'continue') return execute(step.twiml, step.url);
      }
    }

    async function dial(verb: TwimlNode, documentUrl: string): Promise<Step> {
      const nouns = verb.children.filter((n) => n.name === 'Number');
      const targets: { number: string; noun?: TwimlNode }[] = nouns.length
        ? nouns.map((noun) => ({ number: noun.text, noun }))
        : verb.text
          ? [{ number: verb.text }]
          : [];
      const plan = planDial(o, targets.length, state.clock, intAttribute(verb.attrs.timeout, 30));
      // answerOnBridge keeps the caller hearing ringback, unanswered, until an agent picks up.
      const answerOnBridge = verb.attrs.answerOnBridge === 'true';
      if (!answerOnBridge) state.answeredAt ??= state.clock;
      const legs = targets.map((target, i) => ({
        target,
        plan: plan.legs[i],
        sid: makeSid('CA', rng),
      }));
      const winner = plan.winner === undefined ? undefined : legs[plan.winner];
      state.dialed ??= targets.map((t) => t.number);
      state.childCallSid ??= legs[0]?.sid;
      state.dialCallStatus ??= plan.dialCallStatus;

      for (const { target, plan: leg, sid } of legs) {
        const callback = target.noun?.attrs.statusCallback;
        if (!callback || !leg) continue;
        const path = hookPath(callback, documentUrl);
        const requested = listAttribute(target.noun?.attrs.statusCallbackEvent);
        const events = new Set(requested.length ? requested : ['completed']);
        const child = legParams(childLeg(parent, sid, target.number, verb.attrs.callerId));
        let sequenceNumber = 0;
        const emit = (callStatus: string, time: number, durationSeconds?: number) =>
          queue(
            sign(
              'call-status',
              path,
              {
                ...child,
                ...progressParams({
                  callStatus,
                  sequenceNumber: sequenceNumber++,
                  at: at(time),
                  ...(durationSeconds === undefined ? {} : { durationSeconds }),
                }),
              },
              time,
            ),
          );
        if (events.has('initiated')) emit('initiated', leg.initiatedAt);
        if (events.has('ringing') && leg.rangAt !== undefined) emit('ringing', leg.rangAt);
        if (events.has('answered') && leg.answeredAt !== undefined) {
          emit('in-progress', leg.answeredAt);
        }
        if (events.has('completed')) emit(leg.status, leg.endAt, leg.talkSeconds);
      }

      state.clock = plan.endAt;
      if (winner) state.answered = true;
      const bridgedAt = plan.winner === undefined ? undefined : plan.legs[plan.winner]?.answeredAt;
      if (bridgedAt !== undefined) state.answeredAt ??= bridgedAt;
      if (plan.callerHungUp) state.hungUp = true;

      const recordMode = verb.attrs.record ?? 'do-not-record';
      const recorded = winner !== undefined && !['do-not-record', 'false'].includes(recordMode);
      const recordingSid = recorded ? makeSid('RE', rng) : undefined;
      const recordingSeconds =
        plan.talkSeconds + (recordMode.includes('ringing') ? plan.ringSeconds : 0);
      if (recordingSid) {
        state.recording = true;
        const callback = verb.attrs.recordingStatusCallback;
        const events = listAttribute(verb.attrs.recordingStatusCallbackEvent);
        if (callback && (events.length === 0 || events.includes('completed'))) {
          const params = recordingStatusParams({
            accountSid: opts.accountSid,
            callSid: parent.callSid,
            recordingSid,
            durationSeconds: recordingSeconds,
            channels: recordMode.includes('dual') ? 2 : 1,
            source: 'DialVerb',
            startedAt: at(plan.endAt - recordingSeconds),
          });
          // Recordings are processed after the leg ends, so their callback comes a little later.
          queue(sign('recording-status', hookPath(callback, documentUrl), params, plan.endAt + 2));
        }
      }

      if (!verb.attrs.action) return state.hungUp ? 'stop' : 'continue';
      const path = hookPath(verb.attrs.action, documentUrl);
      const next = await fetchTwiml(
        sign(
          'dial-action',
          path,
          {
            ...parentParams(parentStatusNow()),
            DialCallStatus: plan.dialCallStatus,
            DialCallSid: (winner ?? legs[0])?.sid ?? '',
            DialCallDuration: String(plan.talkSeconds),
            DialBridged: winner ? 'true' : 'false',
            ...(recordingSid
              ? {
                  RecordingUrl: recordingUrl(opts.accountSid, recordingSid),
                  RecordingSid: recordingSid,
                  RecordingDuration: String(recordingSeconds),
                }
              : {}),
          },
          state.clock,
        ),
      );
      // With the caller gone Twilio still reports the dial, but has no call left to steer.
      if (!next || state.hungUp) return 'stop';
      return { twiml: next, url: `${base}${path}` };
    }

    async function record(verb: TwimlNode, documentUrl: string): Promise<void> {
      // Only a 'voicemail' caller speaks after the beep; anyone else hangs up without a message.
      state.hungUp = true;
      if (o.outcome !== 'voicemail') return;
      const seconds = Math.min(
        Math.max(1, o.talkSeconds ?? 20),
        intAttribute(verb.attrs.maxLength, 3600),
      );
      const startedAt = state.clock + 1; // the beep
      state.clock = startedAt + seconds;
      state.recording = true;
      const recordingSid = makeSid('RE', rng);
      const callback = verb.attrs.recordingStatusCallback;
      if (callback) {
        const params = recordingStatusParams({
          accountSid: opts.accountSid,
          callSid: parent.callSid,
          recordingSid,
          durationSeconds: seconds,
          channels: 1,
          source: 'RecordVerb',
          startedAt: at(startedAt),
        });
        queue(sign('recording-status', hookPath(callback, documentUrl), params, state.clock + 3));
      }
      // Twilio posts the result even though the caller hung up; without an action, to the
      // current document's URL. The TwiML it gets back has no call left to run.
      const path = hookPath(verb.attrs.action ?? documentUrl, documentUrl);
      await fetchTwiml(
        sign(
          'record-action',
          path,
          {
            ...parentParams('completed'),
            RecordingUrl: recordingUrl(opts.accountSid, recordingSid),
            RecordingSid: recordingSid,
            RecordingDuration: String(seconds),
            Digits: 'hangup',
          },
          state.clock,
        ),
      );
    }

    /** The rest of the asynchronous callbacks, then Twilio's retries of `duplicates` of them. */
    async function deliverRest(): Promise<void> {
      const count = Math.min(Math.max(0, Math.floor(o.duplicates ?? 0)), retryable.length);
      const retries = shuffle(retryable, rng).slice(0, count);
      if (!o.reorder) {
        for (const req of held.sort(chronological)) await deliver(req);
        for (const req of retries.sort(chronological)) await deliver(req, true);
        return;
      }
      let order = shuffle(held, rng);
      if (order.length > 1 && isChronological(order))
        order = [...order.slice(1), ...order.slice(0, 1)];
      const sends = order.map((req) => ({ req, duplicate: false }));
      for (const req of retries) {
        // A retry never overtakes the attempt it repeats.
        const original = sends.findIndex((s) => s.req === req && !s.duplicate);
        const slot = original + 1 + Math.floor(rng() * (sends.length - original));
        sends.splice(slot, 0, { req, duplicate: true });
      }
      for (const s of sends) await deliver(s.req, s.duplicate);
    }

    // --- the call ----------------------------------------------------------------------------
    const voiceResponse = await deliver(planned.voice);
    let twiml = twimlOrNull(voiceResponse);
    let documentUrl = planned.voice.url;
    if (!twiml && hooks.voiceFallback !== null) {
      const fallback = sign(
        'voice-fallback',
        hooks.voiceFallback,
        { ...planned.voice.params, ErrorCode: '11200', ErrorUrl: planned.voice.url },
        0,
      );
      twiml = await fetchTwiml(fallback);
      documentUrl = fallback.url;
    }
    const first = twiml?.children[0];
    const reject = first?.name === 'Reject' ? first : undefined;
    if (twiml && !reject) {
      await execute(twiml, documentUrl);
    } else if (!twiml) {
      state.answeredAt = 0;
      state.clock += 5; // "An application error has occurred", then Twilio hangs up
    }
    // Twilio never answers a rejected call: reason="busy" ends it "busy", reason="rejected" (the
    // default) "no-answer". A caller who hangs up before anything answered (answerOnBridge)
    // cancels it. Any other call was answered, so it ends "completed", billed from the answer.
    const finalStatus = reject
      ? reject.attrs.reason === 'busy'
        ? 'busy'
        : 'no-answer'
      : state.hungUp && state.answeredAt === undefined
        ? 'canceled'
        : 'completed';
    const durationSeconds =
      finalStatus === 'completed' ? state.clock - (state.answeredAt ?? state.clock) : 0;
    queue(
      sign(
        'call-status',
        hooks.statusCallback,
        {
          ...parentParams(finalStatus),
          ...progressParams({
            callStatus: finalStatus,
            sequenceNumber: 0,
            at: at(state.clock),
            durationSeconds,
          }),
        },
        state.clock,
      ),
    );
    await deliverRest();

    return {
      callSid: planned.callSid,
      ...(state.childCallSid === undefined ? {} : { childCallSid: state.childCallSid }),
      voiceResponse: { status: voiceResponse.status, twiml: voiceResponse.text },
      ...(state.dialed === undefined ? {} : { dialed: state.dialed }),
      rejected: reject !== undefined,
      deliveries,
      expected: {
        status: finalStatus,
        durationSeconds,
        answered: state.answered,
        recording: state.recording,
        ...(state.dialCallStatus === undefined ? {} : { dialCallStatus: state.dialCallStatus }),
      },
    };
  }

  return { planCall, placeCall };
}
export type CarrierSimulator = ReturnType<typeof createCarrierSimulator>;

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

function twimlOrNull(res: { status: number; text: string }): TwimlNode | null {
  if (res.status < 200 || res.status >= 300) return null;
  try {
    return parseTwiml(res.text);
  } catch {
    return null;
  }
}

const chronological = (a: SignedWebhook, b: SignedWebhook) => a.at - b.at || a.seq - b.seq;

function isChronological(list: SignedWebhook[]): boolean {
  return list.every((req, i) => i === 0 || chronological(list[i - 1] ?? req, req) <= 0);
}

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

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
