import type { StoredAttempt } from '../../db/schema';
import type { DirectoryEntry } from '../numbers/number-directory';
import type { Clock } from '../shared/clock';
import { withDeadline } from '../shared/deadline';
import type { Logger } from '../shared/logger';
import type { AgentClaims } from './agent-claims';
import type { AgentRow } from './agents.repo';
import { DEFAULT_ROUTING, type Answers } from './answers';
import type { RoutingRepo } from './routing.repo';
import type { PopScreen } from './screen-pop';
import { hangUpTwiml } from './twiml';

/** Dial results after which the caller still waits for someone. */
export const DIAL_FAILED: ReadonlySet<string> = new Set(['no-answer', 'busy', 'failed']);

export interface DialResultsDeps {
  decisions: Pick<RoutingRepo, 'find' | 'saveAttempts'>;
  /** The number directory's answer for a dialled E.164 (dial results carry `To`). */
  lookupNumber: (e164: string) => Promise<DirectoryEntry | null>;
  answers: Answers;
  claims: AgentClaims;
  popScreen: PopScreen;
  clock: Clock;
  log: Logger;
  /** Twilio waits for a dial result's TwiML no longer than this (ms): then voicemail. */
  answerDeadlineMs: number;
}

/** The next-agent chain: after a failed dial, the next agent, the fallback number, voicemail. */
export function createDialResults(deps: DialResultsDeps) {
  const { decisions, answers, claims, clock } = deps;

  /** After a failed dial: the next agent, else the fallback number, else voicemail; stored. */
  async function nextStep(
    dialCallStatus: string,
    callSid: string,
    call: { to?: string; from?: string; dialCallSid?: string },
    started: number,
  ): Promise<string> {
    const row = callSid ? await decisions.find(callSid) : undefined;
    if (!row) return answers.voicemail();
    const number = call.to ? await deps.lookupNumber(call.to) : null;
    const attempts = [...row.attempts];
    // A retried dial result we already acted on gets the same answer again.
    const seen = call.dialCallSid
      ? attempts.findIndex((a) => a.dialCallSid === call.dialCallSid)
      : -1;
    if (seen >= 0 && seen < attempts.length - 1) {
      return answers.forAttempt(callSid, attempts.at(-1), number);
    }

    const last = attempts.at(-1);
    if (last && !last.outcome) {
      attempts[attempts.length - 1] = {
        ...last,
        outcome: dialCallStatus,
        ...(call.dialCallSid ? { dialCallSid: call.dialCallSid } : {}),
      };
    }
    if (last?.kind === 'agent' && last.agentId) await claims.free(callSid, last.agentId);

    const settings = number?.routing ?? DEFAULT_ROUTING;
    const at = clock.now().toISOString();
    const agentAttempts = attempts.filter((a) => a.kind === 'agent');
    const fallbackTried = attempts.some((a) => a.kind === 'fallback');
    let next: StoredAttempt | undefined;
    let winner: AgentRow | undefined;
    if (number && !fallbackTried && agentAttempts.length < settings.maxAgentAttempts) {
      const tried = new Set(agentAttempts.flatMap((a) => (a.agentId ? [a.agentId] : [])));
      ({ winner } = await claims.claimNearest(callSid, row.callerPlace, number, tried, started));
      if (winner) next = { kind: 'agent', agentId: winner.id, number: winner.phone, at };
    }
    if (!next && !fallbackTried && number?.fallbackNumber) {
      next = { kind: 'fallback', number: number.fallbackNumber, at };
    }
    if (!next && settings.voicemail) next = { kind: 'voicemail', at };
    if (next) attempts.push(next);
    await decisions.saveAttempts(callSid, attempts, winner?.id);
    if (winner && number) {
      void deps.popScreen(winner.id, {
        callSid,
        from: call.from ?? null,
        caller: { city: row.callerPlace.city, state: row.callerPlace.state },
        place: row.callerPlace,
        campaign: { id: number.campaignId, name: number.campaignName },
      });
    }
    return answers.forAttempt(callSid, next, number);
  }

  /**
   * POST /twilio/dial-status: answered → the call is over. Nobody answered → the next nearest
   * available agent (up to the campaign's limit), then the fallback number, then voicemail.
   * If the database fails here the caller still gets voicemail.
   */
  return async function answerDialResult(
    dialCallStatus: string | undefined,
    call: { callSid?: string; to?: string; from?: string; dialCallSid?: string } = {},
  ): Promise<string> {
    if (!dialCallStatus || !DIAL_FAILED.has(dialCallStatus)) return hangUpTwiml();
    const callSid = call.callSid ?? '';
    const started = performance.now();
    try {
      return await withDeadline(
        nextStep(dialCallStatus, callSid, call, started),
        deps.answerDeadlineMs,
      );
    } catch (err) {
      deps.log.error({ err, callSid }, 'dial result: routing failed; offering voicemail');
      return answers.voicemail();
    }
  };
}
