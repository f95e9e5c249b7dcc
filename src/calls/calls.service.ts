import { createHash } from 'node:crypto';
import type { Clock } from '../shared/clock';
import { NotFoundError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import type { CampaignService } from '../campaigns/campaigns.service';
import type { NumbersService } from '../numbers/numbers.service';
import type { RoutingService } from '../routing/routing.service';
import * as twiml from '../routing/twiml';
import { attributeCall } from './attribution';
import { deriveCall, deriveLeg, type StoredEvent } from './call-state';
import type { CallFilter, CallRow, CallsRepo, NewCall } from './calls.repo';
import type { FallbackCache } from './fallback-cache';
import type { RetryBuffer } from './retry-buffer';

export type WebhookKind = StoredEvent['kind'];
export type TwilioParams = Record<string, string>;

export interface CallServiceDeps {
  repo: CallsRepo;
  numbers: NumbersService;
  campaigns: CampaignService;
  routing: RoutingService;
  fallback: FallbackCache;
  retry: RetryBuffer;
  clock: Clock;
  log: Logger;
  publicBaseUrl: string;
  graceSeconds: number;
  repeatWindowDays: number;
  /** Answer the voice webhook within this, whatever the database is doing. */
  voiceDeadlineMs: number;
}

const SORRY =
  "We're sorry, we can't connect your call right now. Please try again in a few minutes.";
const NOT_IN_SERVICE = 'The number you have called is not in service. Goodbye.';

class DeadlineExceeded extends Error {}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

const parseTimestamp = (v: string | undefined) => {
  if (!v) return null;
  const t = Date.parse(v);
  return Number.isFinite(t) ? new Date(t) : null;
};

/** Identical webhooks (Twilio's retries) hash the same; any differing parameter makes a new event. */
function dedupeKey(kind: WebhookKind, params: TwilioParams): string {
  const canonical = Object.keys(params)
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
  return createHash('sha1').update(`${kind}|${canonical}`).digest('hex');
}

const blockedBy = (patterns: string[], from: string) => patterns.find((p) => from.startsWith(p));

/**
 * The call lifecycle from Twilio's webhooks: every event stored once, the call re-derived from all
 * of them, attribution to the visit that held the number, and a caller never left unanswered.
 */
export function createCallService(deps: CallServiceDeps) {
  const { repo, numbers, campaigns, routing, fallback, retry, clock, log } = deps;
  const url = (path: string) => `${deps.publicBaseUrl}${path}`;
  // Callbacks wait a little longer than the caller-facing voice answer; Twilio gives up at 15 s.
  const writeDeadline = deps.voiceDeadlineMs * 2.5;
  let blockCache: { patterns: string[]; at: number } | undefined;

  async function blockPatterns(): Promise<string[]> {
    if (blockCache && Date.now() - blockCache.at < 5_000) return blockCache.patterns;
    const patterns = (await repo.listBlocked()).map((b) => b.pattern);
    blockCache = { patterns, at: Date.now() };
    return patterns;
  }

  /** Who called which number and which visit it belongs to; computed once, when the call is new. */
  async function identify(params: TwilioParams, startedAt: Date): Promise<Partial<NewCall>> {
    const from = params.From ?? params.Caller ?? '';
    const to = params.To ?? params.Called ?? '';
    const base: Partial<NewCall> = {
      accountSid: params.AccountSid ?? null,
      direction: params.Direction ?? null,
      fromNumber: from || null,
      toNumber: to || null,
      callerName: params.CallerName || null,
      callerCity: params.FromCity || params.CallerCity || null,
      callerState: params.FromState || params.CallerState || null,
      callerZip: params.FromZip || params.CallerZip || null,
      callerCountry: params.FromCountry || params.CallerCountry || null,
      startedAt,
    };
    if (from && blockedBy(await blockPatterns(), from)) {
      return { ...base, spam: true, attribution: 'none' };
    }
    const windowStart = new Date(startedAt.getTime() - deps.repeatWindowDays * 86_400_000);
    const number = to ? await numbers.findByE164(to) : undefined;
    // Caller history and the number's leases are independent reads: one round trip, not two.
    const [history, leases] = await Promise.all([
      from ? repo.callerHistory(from, startedAt, windowStart) : { total: 0, recent: 0 },
      number ? numbers.leasesAround(number.id, startedAt, deps.graceSeconds) : [],
    ]);
    if (!number) {
      return { ...base, firstTime: history.recent === 0, previousCalls: history.total };
    }
    const decision = attributeCall(leases, startedAt);
    const visit = decision.chosen;
    let siteId = visit?.siteId ?? null;
    if (!siteId && number.campaignId) {
      siteId =
        (await campaigns.getCampaignCached(number.campaignId).catch(() => undefined))?.siteId ??
        null;
    }
    return {
      ...base,
      trackingNumberId: number.id,
      campaignId: number.campaignId,
      siteId,
      sessionId: visit?.sessionId ?? null,
      visitorId: visit?.visitorId ?? null,
      attribution: decision.confidence,
      attributionCandidates: decision.candidates,
      source: visit?.source ?? null,
      medium: visit?.medium ?? null,
      utmCampaign: visit?.utmCampaign ?? null,
      keyword: visit?.utmTerm ?? null,
      landingUrl: visit?.landingUrl ?? null,
      landingPath: visit?.landingPath ?? null,
      referrer: visit?.referrer ?? null,
      gclid: visit?.gclid ?? null,
      fbclid: visit?.fbclid ?? null,
      msclkid: visit?.msclkid ?? null,
      device: visit?.device ?? null,
      firstTime: history.recent === 0,
      previousCalls: history.total,
    };
  }

  /**
   * Stores one webhook and re-derives the call. Returns false for a duplicate (nothing changes).
   * Safe to run again after a failure: the event's dedupe key makes it a no-op if it landed.
   */
  async function ingest(
    kind: WebhookKind,
    params: TwilioParams,
    receivedAt: Date,
  ): Promise<boolean> {
    const callSid = params.CallSid ?? '';
    const parentSid = params.ParentCallSid || null;
    const root = parentSid ?? callSid;
    const isOwn = root === callSid;
    const twilioTimestamp = parseTimestamp(params.Timestamp);
    const duration = Number.parseInt(params.CallDuration ?? '', 10);
    const startGuess =
      kind === 'voice' || kind === 'fallback' || !twilioTimestamp
        ? receivedAt
        : new Date(twilioTimestamp.getTime() - (Number.isFinite(duration) ? duration * 1000 : 0));

    // Reads for a new call happen before the transaction: the embedded database has one
    // connection. The voice webhook is a call's first, so it skips looking for an existing row.
    const existing = kind === 'voice' ? undefined : await repo.findCall(root);
    const identity =
      isOwn && (!existing || !existing.toNumber)
        ? await identify(params, existing?.startedAt ?? startGuess)
        : undefined;
    const event: StoredEvent & { rootCallSid: string } = {
      callSid,
      rootCallSid: root,
      kind,
      status:
        kind === 'dial'
          ? (params.DialCallStatus ?? null)
          : (params.RecordingStatus ?? params.CallStatus ?? null),
      sequenceNumber: params.SequenceNumber ? Number.parseInt(params.SequenceNumber, 10) : null,
      twilioTimestamp,
      dedupeKey: dedupeKey(kind, params),
      params,
      receivedAt,
    };

    // A call Leadline has not seen yet, and this is its own event (not a child leg's): event and
    // row in one statement. If another event created the row meanwhile, fold everything below.
    let eventStored = false;
    if (!existing && isOwn) {
      const alone = deriveCall([event], new Map(), { spam: identity?.spam === true });
      const first = await repo.insertFirstEvent(event, {
        callSid: root,
        ...identity,
        ...alone,
        startedAt: alone.startedAt ?? startGuess,
      });
      if (!first.event) return false;
      if (first.call) return true;
      eventStored = true;
    }

    return repo.transaction(async (tx) => {
      if (!eventStored && !(await repo.insertEvent(tx, event))) return false;
      await repo.ensureCall(tx, {
        callSid: root,
        status: 'ringing',
        startedAt: startGuess,
        ...identity,
      });
      if (!isOwn) {
        await repo.ensureCall(tx, {
          callSid,
          parentCallSid: root,
          direction: params.Direction ?? 'outbound-dial',
          fromNumber: params.From ?? null,
          toNumber: params.To ?? null,
          status: params.CallStatus ?? 'initiated',
          startedAt: twilioTimestamp ?? receivedAt,
        });
      }
      const row = await repo.lockCall(tx, root);
      if (!row) throw new Error(`call ${root} vanished inside its transaction`);
      const events = await repo.eventsForRoot(tx, root);
      const own = events.filter((e) => e.callSid === root);
      const children = new Map<string, StoredEvent[]>();
      for (const e of events) {
        if (e.callSid !== root) children.set(e.callSid, [...(children.get(e.callSid) ?? []), e]);
      }
      const d = deriveCall(own, children, { spam: (identity?.spam ?? row.spam) === true });
      const startedAt =
        d.startedAt ??
        (d.endedAt && d.durationSeconds !== null
          ? new Date(d.endedAt.getTime() - d.durationSeconds * 1000)
          : row.startedAt);
      await repo.updateCall(tx, root, {
        // The voice webhook marks the call's true start, so its attribution wins over one worked
        // out from a later callback that happened to arrive first (after an outage, say).
        ...(identity && (!row.toNumber || kind === 'voice') ? identity : {}),
        ...d,
        startedAt,
      });
      if (!isOwn) {
        const leg = deriveLeg(children.get(callSid) ?? []);
        await repo.updateCall(tx, callSid, {
          status: leg.status,
          answeredAt: leg.answeredAt,
          endedAt: leg.endedAt,
          durationSeconds: leg.durationSeconds,
          ...(leg.startedAt ? { startedAt: leg.startedAt } : {}),
        });
      }
      return true;
    });
  }

  /** Stores a webhook, or keeps it for a retry when the database fails; never throws. */
  async function record(
    kind: WebhookKind,
    params: TwilioParams,
    timeoutMs?: number,
  ): Promise<void> {
    const receivedAt = clock.now();
    const attempt = () => ingest(kind, params, receivedAt).then(() => undefined);
    try {
      await (timeoutMs ? withDeadline(attempt(), timeoutMs) : attempt());
    } catch (err) {
      log.warn({ err, callSid: params.CallSid, kind }, 'webhook not stored yet; will retry');
      retry.add(`${kind}:${params.CallSid}`, attempt);
    }
  }

  const dialTwiml = (numbersToDial: string[], recordCall: boolean) =>
    twiml.response(
      twiml.dial(numbersToDial, {
        action: url('/twilio/dial-status'),
        statusCallback: url('/twilio/status'),
        record: recordCall,
        recordingStatusCallback: url('/twilio/recording'),
      }),
    );

  function fallbackTwiml(to: string): string {
    const fb = fallback.get(to);
    return fb ? dialTwiml([fb], false) : twiml.response(twiml.say(SORRY), twiml.hangup());
  }

  async function answerVoice(params: TwilioParams, receivedAt: Date): Promise<string> {
    const from = params.From ?? '';
    const to = params.To ?? '';
    if (from && blockedBy(await blockPatterns(), from)) {
      await ingest('voice', params, receivedAt);
      log.info({ callSid: params.CallSid, from }, 'blocked caller rejected');
      return twiml.response(twiml.reject('busy'));
    }
    const number = to ? await numbers.findByE164(to) : undefined;
    const campaign = number?.campaignId
      ? await campaigns.getCampaignCached(number.campaignId)
      : undefined;
    await ingest('voice', params, receivedAt);
    if (!campaign) {
      log.warn({ callSid: params.CallSid, to }, 'call to a number Leadline does not track');
      return twiml.response(twiml.say(NOT_IN_SERVICE), twiml.hangup());
    }
    fallback.remember(to, campaign.fallbackNumber);
    const decision = await routing.route({
      callSid: params.CallSid ?? '',
      campaignId: campaign.id,
      fallbackNumber: campaign.fallbackNumber,
      caller: { number: from, city: params.FromCity, state: params.FromState, zip: params.FromZip },
    });
    return dialTwiml(decision.numbers, campaign.recordCalls);
  }

  return {
    /** POST /twilio/voice: answers TwiML within the deadline, dialling the fallback if it must. */
    async voice(params: TwilioParams): Promise<string> {
      const receivedAt = clock.now();
      const work = answerVoice(params, receivedAt);
      try {
        return await withDeadline(work, deps.voiceDeadlineMs);
      } catch (err) {
        log.error(
          { err, callSid: params.CallSid },
          'voice webhook failed; dialling the fallback number',
        );
        // The slow attempt may still land; if it failed, keep the event to write later.
        work.catch(() =>
          retry.add(`voice:${params.CallSid}`, () =>
            ingest('voice', params, receivedAt).then(() => undefined),
          ),
        );
        return fallbackTwiml(params.To ?? '');
      }
    },

    /** POST /twilio/fallback (the number's VoiceFallbackUrl): Twilio could not get TwiML from us. */
    async voiceFallback(params: TwilioParams): Promise<string> {
      await record('fallback', params, deps.voiceDeadlineMs / 2);
      return fallbackTwiml(params.To ?? '');
    },

    status: (params: TwilioParams) => record('status', params, writeDeadline),

    /** POST /twilio/dial-status: the dialled leg ended; offer voicemail when no one answered. */
    async dialStatus(params: TwilioParams): Promise<string> {
      await record('dial', params, writeDeadline);
      const s = params.DialCallStatus;
      if (s === 'no-answer' || s === 'busy' || s === 'failed') {
        return twiml.response(
          twiml.say(
            'Sorry, no one is available to take your call. Please leave a message after the tone.',
          ),
          twiml.record({
            action: url('/twilio/voicemail'),
            recordingStatusCallback: url('/twilio/recording?kind=voicemail'),
          }),
        );
      }
      return twiml.response(twiml.hangup());
    },

    voicemailDone: () => twiml.response(twiml.say('Thank you. Goodbye.'), twiml.hangup()),

    recording: (params: TwilioParams, kind: 'voicemail' | 'call') =>
      record(
        'recording',
        kind === 'voicemail' ? { ...params, LeadlineRecordingKind: 'voicemail' } : params,
        writeDeadline,
      ),

    async listCalls(filter: CallFilter): Promise<CallRow[]> {
      return repo.listCalls(filter);
    },

    async getCall(callSid: string) {
      const call = await repo.findCall(callSid);
      if (!call) throw new NotFoundError('call', 'call_not_found');
      const legs = await repo.childLegs(callSid);
      const events = await repo.eventsOf([callSid, ...legs.map((l) => l.callSid)]);
      return { call, legs, events };
    },

    listBlocked: () => repo.listBlocked(),
    async block(pattern: string, reason: string | null) {
      blockCache = undefined;
      return repo.addBlocked(pattern, reason);
    },
    async unblock(id: string) {
      blockCache = undefined;
      if (!(await repo.removeBlocked(id)))
        throw new NotFoundError('blocked number', 'blocked_number_not_found');
    },
  };
}
export type CallService = ReturnType<typeof createCallService>;
