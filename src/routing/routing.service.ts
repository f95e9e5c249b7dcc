import type { DirectoryEntry } from '../numbers/number-directory';
import {
  dialTwiml,
  GOODBYE,
  hangUpTwiml,
  NOT_IN_SERVICE,
  rejectTwiml,
  sayAndHangUp,
  SORRY,
  voicemailTwiml,
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
}

/** Who rings for a call, and why: kept so a person can question the decision later. */
export interface RouteDecision {
  numbers: string[];
  agentId: string | null;
  reason: 'agent' | 'fallback' | 'blocked' | 'unknown_number' | 'no_fallback';
}

export interface RoutingDeps {
  /** Leadline's public address; the TwiML's callbacks point here. */
  publicBaseUrl: string;
}

const DIAL_FAILED = new Set(['no-answer', 'busy', 'failed']);

/**
 * The answer to a call: which TwiML to return (dial whom, fall back, take a voicemail). Until
 * agents and geographic routing exist, every tracked call rings its campaign's fallback number.
 */
export function createRoutingService(deps: RoutingDeps) {
  const url = (path: string) => `${deps.publicBaseUrl}${path}`;
  const dialOptions = (record: boolean) => ({
    action: url('/twilio/dial-status'),
    statusCallback: url('/twilio/status'),
    recordingStatusCallback: url('/twilio/recording'),
    record,
  });

  function decide(call: IncomingCall): RouteDecision {
    if (call.blocked) return { numbers: [], agentId: null, reason: 'blocked' };
    if (!call.number) return { numbers: [], agentId: null, reason: 'unknown_number' };
    const fallback = call.number.fallbackNumber;
    if (!fallback) return { numbers: [], agentId: null, reason: 'no_fallback' };
    return { numbers: [fallback], agentId: null, reason: 'fallback' };
  }

  function twimlFor(decision: RouteDecision, number: DirectoryEntry | null): string {
    switch (decision.reason) {
      case 'blocked':
        return rejectTwiml('busy');
      case 'unknown_number':
        return sayAndHangUp(NOT_IN_SERVICE);
      case 'no_fallback':
        return sayAndHangUp(SORRY);
      default:
        return dialTwiml(decision.numbers, dialOptions(number?.recordCalls === true));
    }
  }

  return {
    /** POST /twilio/voice: decides who rings and answers with TwiML. */
    async answerIncoming(call: IncomingCall): Promise<{ twiml: string; decision: RouteDecision }> {
      const decision = decide(call);
      return { twiml: twimlFor(decision, call.number), decision };
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

    /** POST /twilio/dial-status: nobody answered → voicemail; otherwise the call is over. */
    answerDialResult(dialCallStatus: string | undefined): string {
      if (dialCallStatus && DIAL_FAILED.has(dialCallStatus)) {
        return voicemailTwiml({
          action: url('/twilio/voicemail'),
          recordingStatusCallback: url('/twilio/recording?kind=voicemail'),
        });
      }
      return hangUpTwiml();
    },

    /** POST /twilio/voicemail (the `<Record action>`): the message is in; say goodbye. */
    voicemailDone(): string {
      return sayAndHangUp(GOODBYE);
    },
  };
}
export type RoutingService = ReturnType<typeof createRoutingService>;
