/**
 * Plays one call: the synchronous TwiML requests in causal order, the asynchronous callbacks
 * (status, recording) as Twilio sends them — in time order, or late and shuffled — and Twilio's
 * retries. Ends with what a correct receiver must now hold.
 */
import { legParams, progressParams, shuffle, type LegIdentity, type Params } from './params';
import { playingSeconds } from './timeline';
import { transcriptionCallbacks } from './transcription';
import { parseTwiml, type TwimlNode } from './twiml';
import type {
  Delivery,
  DeliveryKind,
  NumberHooks,
  PlaceCallOptions,
  PlacedCall,
  PlannedCall,
  SignedWebhook,
  WebhookSender,
} from './types';
import { dial, record, type CallContext, type CallState, type Step } from './verbs';

/** What the simulator gives each call it plays. */

/** What the receiver answered to one webhook, as the test or demo reads it back. */
export function deliveryOf(
  req: SignedWebhook,
  res: { status: number; text: string },
  duplicate = false,
): Delivery {
  return {
    kind: req.kind,
    path: req.path,
    params: req.params,
    status: res.status,
    responseText: res.text,
    duplicate,
  };
}

export interface CallEnvironment {
  accountSid: string;
  hooks: NumberHooks;
  rng: () => number;
  send: WebhookSender;
  /** Simulated time the call came in, in ms since the epoch. */
  startedAt: number;
  /** The Date a webhook carries for a simulated moment (ms since the epoch). */
  stamp(ms: number): Date;
  sign(kind: DeliveryKind, path: string, params: Params, at: number): SignedWebhook;
  hookPath(ref: string, documentUrl: string): string;
  /**
   * The final status callback to hooks.statusCallback: by default the only event a number's
   * StatusCallback gets (sequence 0); a REST-placed call numbers it after its earlier events, or
   * sends none (null) when its statusCallback did not ask for it.
   */
  finalStatus?: { sequenceNumber: number } | null;
}

/** Guards against TwiML that redirects to itself forever. */
const MAX_TWIML_DOCUMENTS = 20;

export async function playCall(
  env: CallEnvironment,
  o: PlaceCallOptions,
  planned: PlannedCall,
  parent: LegIdentity,
): Promise<PlacedCall> {
  const deliveries: Delivery[] = [];
  /** Asynchronous callbacks not sent yet; in order they go out before any later request. */
  let held: SignedWebhook[] = [];
  /** Everything after the voice webhook: what Twilio might retry. */
  const retryable: SignedWebhook[] = [];
  const state: CallState = { clock: 0, hungUp: false, answered: false, recording: false };
  let documents = 0;
  /** Set by <Start><Transcription>: where Twilio posts the transcript, and of which tracks. */
  let transcription: { path: string; track: string } | undefined;

  async function deliver(req: SignedWebhook, duplicate = false) {
    if (o.delayMs && deliveries.length > 0) await sleep(o.delayMs);
    const res = await env.send({
      path: req.path,
      url: req.url,
      headers: req.headers,
      body: req.body,
    });
    deliveries.push(deliveryOf(req, res, duplicate));
    return res;
  }

  const ctx: CallContext = {
    o,
    accountSid: env.accountSid,
    rng: env.rng,
    parent,
    state,
    at: (seconds) => env.stamp(env.startedAt + seconds * 1000),
    sign: env.sign,
    hookPath: env.hookPath,
    queue(req) {
      held.push(req);
      retryable.push(req);
    },
    async fetchTwiml(req) {
      if (!o.reorder) {
        const due = held.filter((h) => h.at <= req.at).sort(chronological);
        held = held.filter((h) => h.at > req.at);
        for (const h of due) await deliver(h);
      }
      retryable.push(req);
      return twimlOrNull(await deliver(req));
    },
    parentParams: (callStatus) => ({ ...legParams(parent), CallStatus: callStatus }),
  };

  async function execute(response: TwimlNode, documentUrl: string): Promise<void> {
    if (++documents > MAX_TWIML_DOCUMENTS) return;
    for (const verb of response.children) {
      if (state.hungUp) return;
      let step: Step = 'continue';
      switch (verb.name) {
        case 'Hangup':
        case 'Reject': // only a first verb rejects; later Twilio has answered, so it hangs up
          step = 'stop';
          break;
        case 'Redirect': {
          const req = env.sign(
            'redirect',
            env.hookPath(verb.text, documentUrl),
            ctx.parentParams('in-progress'),
            state.clock,
          );
          const next = await ctx.fetchTwiml(req);
          step = next ? { twiml: next, url: req.url } : 'stop';
          break;
        }
        case 'Start': {
          // Starts a fork of the audio; takes no time and does not answer the call.
          const noun = verb.children.find((c) => c.name === 'Transcription');
          const url = noun?.attrs.statusCallbackUrl;
          if (noun && url) {
            transcription = {
              path: env.hookPath(url, documentUrl),
              track: noun.attrs.track ?? 'inbound_track',
            };
          }
          break;
        }
        case 'Dial':
          step = await dial(ctx, verb, documentUrl);
          break;
        case 'Record':
          await record(ctx, verb, documentUrl);
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

  /** The rest of the asynchronous callbacks, then Twilio's retries of `duplicates` of them. */
  async function deliverRest(): Promise<void> {
    const count = Math.min(Math.max(0, Math.floor(o.duplicates ?? 0)), retryable.length);
    const retries = shuffle(retryable, env.rng).slice(0, count);
    if (!o.reorder) {
      for (const req of held.sort(chronological)) await deliver(req);
      for (const req of retries.sort(chronological)) await deliver(req, true);
      return;
    }
    let order = shuffle(held, env.rng);
    if (order.length > 1 && isChronological(order)) {
      order = [...order.slice(1), ...order.slice(0, 1)];
    }
    const sends = order.map((req) => ({ req, duplicate: false }));
    for (const req of retries) {
      // A retry never overtakes the attempt it repeats.
      const original = sends.findIndex((s) => s.req === req);
      const slot = original + 1 + Math.floor(env.rng() * (sends.length - original));
      sends.splice(slot, 0, { req, duplicate: true });
    }
    for (const s of sends) await deliver(s.req, s.duplicate);
  }

  const voiceResponse = await deliver(planned.voice);
  let twiml = twimlOrNull(voiceResponse);
  let documentUrl = planned.voice.url;
  if (!twiml && env.hooks.voiceFallback !== null) {
    const fallback = env.sign(
      'voice-fallback',
      env.hooks.voiceFallback,
      { ...planned.voice.params, ErrorCode: '11200', ErrorUrl: planned.voice.url },
      0,
    );
    twiml = await ctx.fetchTwiml(fallback);
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
  const status = reject
    ? reject.attrs.reason === 'busy'
      ? 'busy'
      : 'no-answer'
    : state.hungUp && state.answeredAt === undefined
      ? 'canceled'
      : 'completed';
  const durationSeconds =
    status === 'completed' ? state.clock - (state.answeredAt ?? state.clock) : 0;
  if (env.finalStatus !== null) {
    const progress = progressParams({
      callStatus: status,
      sequenceNumber: env.finalStatus?.sequenceNumber ?? 0,
      at: ctx.at(state.clock),
      durationSeconds,
    });
    ctx.queue(
      env.sign(
        'call-status',
        env.hooks.statusCallback,
        { ...ctx.parentParams(status), ...progress },
        state.clock,
      ),
    );
  }
  await deliverRest();
  if (transcription && state.answered && o.utterances?.length) {
    const sends = transcriptionCallbacks({
      callSid: planned.callSid,
      accountSid: env.accountSid,
      ...transcription,
      utterances: o.utterances,
      endedAt: state.clock,
      at: ctx.at,
      rng: env.rng,
      sign: env.sign,
    });
    for (const s of sends) await deliver(s.req, s.duplicate);
  }

  return {
    callSid: planned.callSid,
    ...(state.childCallSid === undefined ? {} : { childCallSid: state.childCallSid }),
    voiceResponse: { status: voiceResponse.status, twiml: voiceResponse.text },
    ...(state.dialed === undefined ? {} : { dialed: state.dialed }),
    rejected: reject !== undefined,
    deliveries,
    expected: {
      status,
      durationSeconds,
      answered: state.answered,
      recording: state.recording,
      ...(state.dialCallStatus === undefined ? {} : { dialCallStatus: state.dialCallStatus }),
    },
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

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
