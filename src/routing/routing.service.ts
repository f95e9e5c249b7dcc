import type { StoredAttempt, StoredCandidate, StoredPlace, StoredPlan } from '../../db/schema';
import { locateCaller } from '../geo/caller-place';
import type { CampaignRouting, DirectoryEntry } from '../numbers/number-directory';
import type { Clock } from '../shared/clock';
import { withDeadline } from '../shared/deadline';
import type { Logger } from '../shared/logger';
import type { AgentPool } from './agent-pool';
import { pickAgents, type Pick } from './agent-picker';
import type { AgentRow, AgentsRepo } from './agents.repo';
import type { FollowUpService } from './follow-ups.service';
import type { RoutingRepo } from './routing.repo';
import { screenPopPayload, type CallDetails, type NotifyAgent } from './screen-pop';
import { CONSENT_NOTICE, consentNoticeRequired } from '../privacy/consent';
import {
  dialTwiml,
  GOODBYE,
  hangUpTwiml,
  NOT_IN_SERVICE,
  rejectTwiml,
  sayAndHangUp,
  SORRY,
  voicemailTwiml,
  whisperTwiml,
} from './twiml';

/** An incoming call as routing sees it: who calls, and what the dialled number belongs to. */
export interface IncomingCall {
  callSid: string;
  from: string;
  caller: { city?: string | null; state?: string | null; zip?: string | null };
  /** The dialled number from the number directory; null when Leadline does not own it. */
  number: DirectoryEntry | null;
  /** The caller is on the block list. */
  blocked: boolean;
  /** Settles once the call is stored (in parallel); the screen-pop waits for it to read the visit. */
  recorded?: Promise<unknown>;
}

/** Who rings for a call, and why: kept so a person can question the decision later. */
export interface RouteDecision {
  numbers: string[];
  agentId: string | null;
  reason: 'agent' | 'fallback' | 'blocked' | 'unknown_number' | 'no_fallback';
}

/** The routing decision as `GET /api/v1/calls/:sid` shows it. */
export interface RoutingRecord {
  callerPlace: StoredPlace;
  candidates: StoredCandidate[];
  winner: string | null;
  attempts: StoredAttempt[];
}

export interface RoutingDeps {
  /** Leadline's public address; the TwiML's callbacks point here. */
  publicBaseUrl: string;
  agents: AgentsRepo;
  pool: AgentPool;
  decisions: RoutingRepo;
  clock: Clock;
  log: Logger;
  /** Sends screen-pop and call-ended to one agent's consoles (socket.io stays out of routing). */
  notifyAgent: NotifyAgent;
  /** The number directory's answer for a dialled E.164 (for dial results, which carry `To`). */
  lookupNumber: (e164: string) => Promise<DirectoryEntry | null>;
  /** The stored call's visit and history, for the screen-pop; null when not (yet) known. */
  callDetails?: (callSid: string) => Promise<CallDetails | null>;
  /** An agent whose console has not been heard from for this long is not available. */
  heartbeatTimeoutMs: number;
  /** A call longer than this is presumed lost (its final callback never came). */
  maxCallMs?: number;
  /**
   * Twilio waits for a dial result's TwiML no longer than this (ms): past it the caller gets
   * voicemail, and an agent is not claimed for a caller who was already sent elsewhere.
   */
  answerDeadlineMs?: number;
  /** Told when a parent call reached its final status: a missed call becomes a follow-up. */
  followUps?: {
    callFinished: FollowUpService['callFinished'];
    claimantOf: FollowUpService['claimantOf'];
  };
}

const DIAL_FAILED = new Set(['no-answer', 'busy', 'failed']);
/** A campaign's routing settings when the directory entry carries none. */
export const DEFAULT_ROUTING: CampaignRouting = {
  dialTimeoutSeconds: 20,
  maxAgentAttempts: 3,
  voicemail: true,
  greeting: null,
};
/** Spare candidates beyond the first, for claims lost to another call at the same moment. */
const CLAIM_SPARES = 4;

/**
 * The answer to a call: the nearest available agent allowed for the campaign (screen-popped the
 * moment they are chosen), the next one when nobody answers, then the campaign's fallback number,
 * then voicemail. Every decision is stored with its reasons in call_routing.
 */
export function createRoutingService(deps: RoutingDeps) {
  const { agents, pool, decisions, clock, log, notifyAgent } = deps;
  const maxCallMs = deps.maxCallMs ?? 4 * 3600_000;
  const answerDeadlineMs = deps.answerDeadlineMs ?? 2000;
  const url = (path: string) => `${deps.publicBaseUrl}${path}`;
  const dialOptions = (record: boolean) => ({
    action: url('/twilio/dial-status'),
    statusCallback: url('/twilio/status'),
    recordingStatusCallback: url('/twilio/recording'),
    record,
  });
  const voicemail = () =>
    voicemailTwiml({
      action: url('/twilio/voicemail'),
      recordingStatusCallback: url('/twilio/recording?kind=voicemail'),
    });

  function twimlFor(
    callSid: string,
    attempt: StoredAttempt | undefined,
    number: DirectoryEntry | null,
    greeting?: string | null,
    /** Only the first answer starts transcription: it then runs for the rest of the call. */
    startTranscription = false,
    consentNotice: string | null = null,
  ): string {
    if (!attempt) return sayAndHangUp(SORRY);
    if (attempt.kind === 'voicemail') return voicemail();
    const settings = number?.routing ?? DEFAULT_ROUTING;
    return dialTwiml([attempt.number ?? ''], {
      ...dialOptions(number?.recordCalls === true),
      timeoutSeconds: settings.dialTimeoutSeconds,
      greeting,
      consentNotice,
      // The agent hears which campaign the call is for before the caller is connected.
      ...(attempt.kind === 'agent'
        ? { whisperUrl: url(`/twilio/whisper/${encodeURIComponent(callSid)}`) }
        : {}),
      ...(startTranscription && number?.transcription
        ? { transcriptionCallback: url('/twilio/transcription') }
        : {}),
    });
  }

  /** Picks and claims the nearest available agent, trying the next if another call took one. */
  async function chooseAgent(
    callSid: string,
    place: StoredPlace,
    number: DirectoryEntry,
    exclude: ReadonlySet<string>,
    started: number,
  ): Promise<{ winner: AgentRow | undefined; candidates: StoredCandidate[] }> {
    const settings = number.routing ?? DEFAULT_ROUTING;
    if (settings.maxAgentAttempts <= 0) return { winner: undefined, candidates: [] };
    const now = clock.now();
    const pick: Pick = pickAgents(await pool.ready(), {
      place,
      campaignId: number.campaignId,
      now,
      seenAfter: new Date(now.getTime() - deps.heartbeatTimeoutMs),
      staleBefore: new Date(now.getTime() - maxCallMs),
      exclude,
      max: 1 + CLAIM_SPARES,
    });
    for (const { agent } of pick.eligible) {
      // Real time, not the injected clock: past the deadline the caller was sent elsewhere.
      if (performance.now() - started > answerDeadlineMs) break;
      const row = await agents.claim(agent.id, callSid, now, {
        seenAfter: new Date(now.getTime() - deps.heartbeatTimeoutMs),
        staleBefore: new Date(now.getTime() - maxCallMs),
      });
      if (row) {
        pool.changed(row);
        return { winner: row, candidates: pick.candidates };
      }
      // Another call (maybe on another node) took them a moment ago.
      const c = pick.candidates.find((x) => x.agentId === agent.id);
      if (c) c.skipped = 'busy';
    }
    return { winner: undefined, candidates: pick.candidates };
  }

  /** Sends the screen-pop once the call (and its visit) is stored; never fails the call. */
  async function popScreen(
    agentId: string,
    call: { callSid: string; from: string | null; caller: IncomingCall['caller'] },
    place: StoredPlace,
    number: DirectoryEntry,
    recorded?: Promise<unknown>,
  ): Promise<void> {
    try {
      await recorded?.catch(() => undefined);
      const details = (await deps.callDetails?.(call.callSid).catch(() => null)) ?? null;
      notifyAgent(
        agentId,
        'screen-pop',
        screenPopPayload({
          callSid: call.callSid,
          from: call.from ?? details?.from ?? '',
          caller: call.caller,
          place,
          campaign: { id: number.campaignId, name: number.campaignName },
          details,
        }),
      );
    } catch (err) {
      log.warn({ err, callSid: call.callSid, agentId }, 'screen-pop not sent');
    }
  }

  async function freeAgents(callSid: string, agentId?: string): Promise<void> {
    const freed = await agents.release(callSid, clock.now(), agentId);
    for (const row of freed) {
      pool.changed(row);
      notifyAgent(row.id, 'call-ended', { callSid });
    }
  }

  /** The campaign settings a decision is made with, stored beside it. */
  function planOf(call: IncomingCall, number: DirectoryEntry): StoredPlan {
    const settings = number.routing ?? DEFAULT_ROUTING;
    return {
      to: number.e164,
      from: call.from,
      campaignId: number.campaignId,
      campaignName: number.campaignName,
      fallbackNumber: number.fallbackNumber,
      recordCalls: number.recordCalls,
      dialTimeoutSeconds: settings.dialTimeoutSeconds,
      maxAgentAttempts: settings.maxAgentAttempts,
      voicemail: settings.voicemail,
    };
  }

  /** After a failed dial: the next agent, else the fallback number, else voicemail; stored. */
  async function nextStep(
    dialCallStatus: string,
    callSid: string,
    call: { to?: string; from?: string; dialCallSid?: string },
    started: number,
  ): Promise<string> {
    const row = callSid ? await decisions.find(callSid) : undefined;
    if (!row) return voicemail();
    const number = call.to ? await deps.lookupNumber(call.to) : null;
    const attempts = [...row.attempts];
    // A retried dial result we already acted on gets the same answer again.
    const seen = call.dialCallSid
      ? attempts.findIndex((a) => a.dialCallSid === call.dialCallSid)
      : -1;
    if (seen >= 0 && seen < attempts.length - 1) return twimlFor(callSid, attempts.at(-1), number);

    const last = attempts.at(-1);
    if (last && !last.outcome) {
      attempts[attempts.length - 1] = {
        ...last,
        outcome: dialCallStatus,
        ...(call.dialCallSid ? { dialCallSid: call.dialCallSid } : {}),
      };
    }
    if (last?.kind === 'agent' && last.agentId) await freeAgents(callSid, last.agentId);

    const settings = number?.routing ?? DEFAULT_ROUTING;
    const at = clock.now().toISOString();
    const agentAttempts = attempts.filter((a) => a.kind === 'agent');
    const fallbackTried = attempts.some((a) => a.kind === 'fallback');
    let next: StoredAttempt | undefined;
    let winner: AgentRow | undefined;
    if (number && !fallbackTried && agentAttempts.length < settings.maxAgentAttempts) {
      const tried = new Set(agentAttempts.flatMap((a) => (a.agentId ? [a.agentId] : [])));
      ({ winner } = await chooseAgent(callSid, row.callerPlace, number, tried, started));
      if (winner) next = { kind: 'agent', agentId: winner.id, number: winner.phone, at };
    }
    if (!next && !fallbackTried && number?.fallbackNumber) {
      next = { kind: 'fallback', number: number.fallbackNumber, at };
    }
    if (!next && settings.voicemail) next = { kind: 'voicemail', at };
    if (next) attempts.push(next);
    await decisions.saveAttempts(callSid, attempts, winner?.id);
    if (winner && number) {
      const caller = { city: row.callerPlace.city, state: row.callerPlace.state };
      void popScreen(
        winner.id,
        { callSid, from: call.from ?? null, caller },
        row.callerPlace,
        number,
      );
    }
    return twimlFor(callSid, next, number);
  }

  return {
    /** Privacy: forgets where these calls' callers were, in the stored decisions. */
    forgetCallerPlace: (callSids: string[]) => decisions.forgetCallerPlace(callSids),
    /** Privacy: disposition notes and follow-up outcomes of these calls (free text about people). */
    forgetCallerNotes: (callSids: string[]) => decisions.forgetCallerNotes(callSids),

    /** POST /twilio/voice: decides who rings, stores why, screen-pops the agent, answers TwiML. */
    async answerIncoming(call: IncomingCall): Promise<{ twiml: string; decision: RouteDecision }> {
      if (call.blocked) {
        return {
          twiml: rejectTwiml('busy'),
          decision: { numbers: [], agentId: null, reason: 'blocked' },
        };
      }
      const number = call.number;
      if (!number) {
        return {
          twiml: sayAndHangUp(NOT_IN_SERVICE),
          decision: { numbers: [], agentId: null, reason: 'unknown_number' },
        };
      }
      const started = performance.now();
      const place: StoredPlace = locateCaller({ from: call.from, ...call.caller });
      const { winner, candidates } = await chooseAgent(
        call.callSid,
        place,
        number,
        new Set(),
        started,
      );
      const at = clock.now().toISOString();
      const attempt: StoredAttempt | undefined = winner
        ? { kind: 'agent', agentId: winner.id, number: winner.phone, at }
        : number.fallbackNumber
          ? { kind: 'fallback', number: number.fallbackNumber, at }
          : undefined;
      try {
        await decisions.insert({
          callSid: call.callSid,
          campaignId: number.campaignId,
          callerPlace: place,
          candidates,
          winner: winner?.id ?? null,
          attempts: attempt ? [attempt] : [],
          plan: planOf(call, number),
        });
      } catch (err) {
        // Not dialled after all: the caller gets the fallback path, the agent stays free.
        if (winner) await freeAgents(call.callSid, winner.id).catch(() => undefined);
        throw err;
      }
      if (winner) void popScreen(winner.id, call, place, number, call.recorded);
      const decision: RouteDecision = {
        numbers: attempt?.number ? [attempt.number] : [],
        agentId: winner?.id ?? null,
        reason: winner ? 'agent' : attempt ? 'fallback' : 'no_fallback',
      };
      // The caller hears the consent notice before anything is recorded or transcribed.
      const notice = consentNoticeRequired({
        setting: number.recordingConsent,
        recorded: number.recordCalls,
        transcribed: number.transcription === true,
        callerState: call.caller.state,
      });
      return {
        twiml: twimlFor(
          call.callSid,
          attempt,
          number,
          number.routing?.greeting,
          true,
          notice ? CONSENT_NOTICE : null,
        ),
        decision,
      };
    },

    /**
     * The answer when Leadline cannot decide in time (database down, deadline passed) or Twilio
     * could not reach the voice webhook: the campaign's fallback number, never silence.
     */
    fallbackAnswer(number: DirectoryEntry | null): string {
      return number?.fallbackNumber
        ? dialTwiml([number.fallbackNumber], dialOptions(false))
        : sayAndHangUp(SORRY);
    },

    /**
     * POST /twilio/dial-status: answered → the call is over. Nobody answered → the next nearest
     * available agent (up to the campaign's limit), then the fallback number, then voicemail.
     * If the database fails here the caller still gets voicemail.
     */
    async answerDialResult(
      dialCallStatus: string | undefined,
      call: { callSid?: string; to?: string; from?: string; dialCallSid?: string } = {},
    ): Promise<string> {
      if (!dialCallStatus || !DIAL_FAILED.has(dialCallStatus)) return hangUpTwiml();
      const callSid = call.callSid ?? '';
      const started = performance.now();
      try {
        return await withDeadline(
          nextStep(dialCallStatus, callSid, call, started),
          answerDeadlineMs,
        );
      } catch (err) {
        log.error({ err, callSid }, 'dial result: routing failed; offering voicemail');
        return voicemail();
      }
    },

    /** The whisper an agent hears on answering: which campaign the call is for. */
    async whisper(callSid: string): Promise<string> {
      const row = await decisions.find(callSid);
      return whisperTwiml(row?.plan?.campaignName ?? null);
    },

    /** POST /twilio/voicemail (the `<Record action>`): the message is in; say goodbye. */
    voicemailDone(): string {
      return sayAndHangUp(GOODBYE);
    },

    /**
     * The call reached a final status: its agent is free again, and their console is told.
     * Waits at most the answer deadline (a stalled database must not hold Twilio's callback).
     */
    callEnded: (callSid: string): Promise<void> =>
      withDeadline(
        (async () => {
          await freeAgents(callSid);
          await deps.followUps?.callFinished(callSid).catch((err: unknown) => {
            log.error({ err, callSid }, 'missed call: follow-up not created');
          });
        })(),
        answerDeadlineMs,
      ),

    /** The stored decision for a call, or null (calls read it through this, not the table). */
    async routingOf(callSid: string): Promise<RoutingRecord | null> {
      const row = await decisions.find(callSid);
      if (!row) return null;
      return {
        callerPlace: row.callerPlace,
        candidates: row.candidates,
        winner: row.winner,
        attempts: row.attempts,
      };
    },

    /** The stored decisions of some calls, by call sid (for the calls list). */
    async routingsOf(callSids: string[]): Promise<Map<string, RoutingRecord>> {
      const rows = await decisions.findMany(callSids);
      return new Map(
        rows.map((row) => [
          row.callSid,
          {
            callerPlace: row.callerPlace,
            candidates: row.candidates,
            winner: row.winner,
            attempts: row.attempts,
          },
        ]),
      );
    },

    /**
     * The agents who may disposition a call from the console: each agent dialled for it whose
     * leg did not fail (they took it), and whoever claimed its follow-up (they called back).
     */
    async agentsOf(callSid: string): Promise<ReadonlySet<string>> {
      const [row, claimant] = await Promise.all([
        decisions.find(callSid),
        deps.followUps?.claimantOf(callSid) ?? null,
      ]);
      const ids = new Set<string>();
      for (const a of row?.attempts ?? []) {
        if (a.kind === 'agent' && a.agentId && !DIAL_FAILED.has(a.outcome ?? ''))
          ids.add(a.agentId);
      }
      if (claimant) ids.add(claimant);
      return ids;
    },

    start: () => {
      pool.start();
      return pool.load();
    },
    stop: () => pool.stop(),
  };
}
export type RoutingService = ReturnType<typeof createRoutingService>;
