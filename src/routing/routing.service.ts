import type { StoredAttempt, StoredCandidate, StoredPlace, StoredPlan } from '../../db/schema';
import { locateCaller } from '../geo/caller-place';
import type { DirectoryEntry } from '../numbers/number-directory';
import type { Clock } from '../shared/clock';
import { withDeadline } from '../shared/deadline';
import type { Logger } from '../shared/logger';
import { CONSENT_NOTICE, consentNoticeRequired } from '../privacy/consent';
import { createAgentClaims } from './agent-claims';
import type { AgentPool } from './agent-pool';
import type { AgentsRepo } from './agents.repo';
import { createAnswers, DEFAULT_ROUTING } from './answers';
import { createDialResults, DIAL_FAILED } from './dial-results';
import type { FollowUpService } from './follow-ups.service';
import type { NewCallRouting, RoutingRepo } from './routing.repo';
import { createScreenPopper, type CallDetails, type NotifyAgent } from './screen-pop';
import { GOODBYE, NOT_IN_SERVICE, rejectTwiml, sayAndHangUp, whisperTwiml } from './twiml';

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
  /** Told when a call's final status is stored: a missed call becomes a follow-up. */
  followUps?: {
    callFinished: FollowUpService['callFinished'];
    claimantOf: FollowUpService['claimantOf'];
  };
}

/**
 * The answer to a call: the nearest available agent allowed for the campaign (screen-popped the
 * moment they are chosen), the next one when nobody answers (dial-results.ts), then the campaign's
 * fallback number, then voicemail. Every decision is stored with its reasons in call_routing.
 */
export function createRoutingService(deps: RoutingDeps) {
  const { pool, decisions, clock, log } = deps;
  const answerDeadlineMs = deps.answerDeadlineMs ?? 2000;
  const answers = createAnswers(deps.publicBaseUrl);
  const claims = createAgentClaims({
    agents: deps.agents,
    pool,
    clock,
    notifyAgent: deps.notifyAgent,
    heartbeatTimeoutMs: deps.heartbeatTimeoutMs,
    maxCallMs: deps.maxCallMs ?? 4 * 3600_000,
    answerDeadlineMs,
  });
  const popScreen = createScreenPopper({
    notifyAgent: deps.notifyAgent,
    callDetails: deps.callDetails,
    log,
  });
  const answerDialResult = createDialResults({
    decisions,
    lookupNumber: deps.lookupNumber,
    answers,
    claims,
    popScreen,
    clock,
    log,
    answerDeadlineMs,
  });

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
      const plan = planOf(call, number);
      const decisionRow = (
        candidates: StoredCandidate[],
        attempt: StoredAttempt | undefined,
      ): Omit<NewCallRouting, 'callSid' | 'winner'> => ({
        campaignId: number.campaignId,
        callerPlace: place,
        candidates,
        attempts: attempt ? [attempt] : [],
        plan,
      });
      const attemptAt = () => clock.now().toISOString();
      // Claiming the nearest agent stores the decision that dials them in the same statement.
      const { winner, candidates } = await claims.claimNearest(
        call.callSid,
        place,
        number,
        new Set(),
        started,
        (agent, considered) =>
          decisionRow(considered, {
            kind: 'agent',
            agentId: agent.id,
            number: agent.phone,
            at: attemptAt(),
          }),
      );
      const attempt: StoredAttempt | undefined = winner
        ? { kind: 'agent', agentId: winner.id, number: winner.phone, at: attemptAt() }
        : number.fallbackNumber
          ? { kind: 'fallback', number: number.fallbackNumber, at: attemptAt() }
          : undefined;
      if (winner) {
        // The screen-pop does not wait for anything more: only for the call (its visit).
        const campaign = { id: number.campaignId, name: number.campaignName };
        void popScreen(winner.id, { ...call, place, campaign }, call.recorded);
      } else {
        // No agent: the decision (fallback or none) is stored on its own.
        await decisions.insert({
          callSid: call.callSid,
          winner: null,
          ...decisionRow(candidates, attempt),
        });
      }
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
        twiml: answers.forAttempt(call.callSid, attempt, number, {
          greeting: number.routing?.greeting,
          startTranscription: true,
          consentNotice: notice ? CONSENT_NOTICE : null,
        }),
        decision,
      };
    },

    /**
     * The answer when Leadline cannot decide in time (database down, deadline passed) or Twilio
     * could not reach the voice webhook: the campaign's fallback number, never silence. `number`
     * is the directory's last known entry, so the campaign's transcription and consent settings
     * come with it, and a transcribed campaign's call starts transcription here too (after the
     * consent notice when the caller's state asks for one); the fallback leg is not recorded.
     * When the directory has no entry for the number (never looked up on this node since it
     * started), neither the fallback number nor these settings are known: the caller hears sorry.
     * An entry may also be up to the directory's refresh period behind another node's change.
     */
    fallbackAnswer(number: DirectoryEntry | null, caller: { state?: string | null } = {}): string {
      const transcribed = number?.transcription === true;
      const notice = consentNoticeRequired({
        setting: number?.recordingConsent,
        recorded: false,
        transcribed,
        callerState: caller.state,
      });
      return answers.fallback(number, {
        startTranscription: transcribed,
        consentNotice: notice ? CONSENT_NOTICE : null,
      });
    },

    /** POST /twilio/dial-status: the next step after a failed dial (see dial-results.ts). */
    answerDialResult,

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
     * Twilio says the caller's call is over (the live status callback, stored or journaled): its
     * agent is free again, and their console is told. Waits at most the answer deadline (a
     * stalled database must not hold Twilio's callback).
     */
    callEnded: (callSid: string): Promise<void> =>
      withDeadline(claims.free(callSid), answerDeadlineMs),

    /**
     * A final status of the call is stored, whichever way it came (the live callback, the
     * webhook retry buffer, the journal replayed at start): its agent is freed if they still
     * are not, and a call nobody answered becomes a follow-up, once however often this runs.
     * Never rejects: what fails is logged.
     */
    callFinal: (callSid: string): Promise<void> =>
      withDeadline(
        (async () => {
          await claims.free(callSid);
          await deps.followUps?.callFinished(callSid);
        })(),
        answerDeadlineMs,
      ).catch((err: unknown) => {
        log.error({ err, callSid }, 'finished call: agent not freed or follow-up not created');
      }),

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
