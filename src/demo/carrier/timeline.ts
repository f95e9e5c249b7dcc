/**
 * When things happen on a simulated call, in seconds since Twilio received it: how long TwiML
 * takes to play and how each <Dial> leg progresses for the caller's chosen outcome.
 */
import type { CallOutcome } from './types';
import type { TwimlNode } from './twiml';

/** A TwiML integer attribute, or the fallback when it is missing or not a whole number ≥ 0. */
export function intAttribute(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value.trim() !== '' && Number.isInteger(n) && n >= 0 ? n : fallback;
}

/** How long Twilio spends on a verb that only plays to the caller (Gather waits for input too). */
export function playingSeconds(verb: TwimlNode): number {
  const loops = Math.max(1, intAttribute(verb.attrs.loop, 1));
  switch (verb.name) {
    case 'Say': {
      const words = verb.text.split(/\s+/).filter(Boolean).length;
      return Math.max(1, Math.ceil(words / 2.5)) * loops; // about 150 words a minute
    }
    case 'Play':
      return 5 * loops;
    case 'Pause':
      return intAttribute(verb.attrs.length, 1);
    case 'Gather':
      // Nobody presses a key: Twilio plays the prompt, waits `timeout`, then moves on.
      return (
        verb.children.reduce((sum, child) => sum + playingSeconds(child), 0) +
        intAttribute(verb.attrs.timeout, 5)
      );
    default:
      return 0;
  }
}

export type LegStatus = 'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled';

/** One dialed leg: when it was placed, rang, was answered, and how it ended. */
export interface LegPlan {
  status: LegStatus;
  initiatedAt: number;
  rangAt?: number;
  answeredAt?: number;
  endAt: number;
  /** Seconds from answer to hang-up (the leg's CallDuration); 0 when never answered. */
  talkSeconds: number;
}

export interface DialPlan {
  legs: LegPlan[];
  /** Index of the leg that picked up. */
  winner?: number;
  dialCallStatus: LegStatus;
  endAt: number;
  ringSeconds: number;
  talkSeconds: number;
  /** The caller gave up while the agent's phone rang. */
  callerHungUp: boolean;
}

const clamp = (n: number, min: number, max: number) => Math.min(Math.max(n, min), max);

/**
 * The legs of a <Dial> starting at `start` with Twilio's ring `timeout`. The first number gets
 * the caller's outcome; with several numbers (simultaneous ring) the others ring too and are
 * canceled when the first picks up, or end the same way when nobody does.
 */
export function planDial(
  o: { outcome: CallOutcome; ringSeconds?: number; talkSeconds?: number },
  legCount: number,
  start: number,
  timeout: number,
): DialPlan {
  const rangAt = start + 1;
  const maxRing = Math.max(0, timeout - 2);
  const unanswered = (status: LegStatus, endAt: number, rings: boolean): DialPlan => ({
    legs: Array.from({ length: legCount }, () => ({
      status,
      initiatedAt: start,
      ...(rings ? { rangAt } : {}),
      endAt,
      talkSeconds: 0,
    })),
    dialCallStatus: status,
    endAt,
    ringSeconds: rings ? endAt - rangAt : 0,
    talkSeconds: 0,
    callerHungUp: false,
  });

  if (legCount === 0) return unanswered('failed', start, false); // nothing Twilio could dial
  switch (o.outcome) {
    case 'answered': {
      const ring = clamp(o.ringSeconds ?? 6, 0, maxRing);
      const talk = Math.max(1, o.talkSeconds ?? 90);
      const answeredAt = rangAt + ring;
      const endAt = answeredAt + talk;
      const legs: LegPlan[] = Array.from({ length: legCount }, (_, i) =>
        i === 0
          ? {
              status: 'completed',
              initiatedAt: start,
              rangAt,
              answeredAt,
              endAt,
              talkSeconds: talk,
            }
          : { status: 'canceled', initiatedAt: start, rangAt, endAt: answeredAt, talkSeconds: 0 },
      );
      return {
        legs,
        winner: 0,
        dialCallStatus: 'completed',
        endAt,
        ringSeconds: ring,
        talkSeconds: talk,
        callerHungUp: false,
      };
    }
    case 'busy':
      return unanswered('busy', start + 1, false);
    case 'failed':
      return unanswered('failed', start + 1, false);
    case 'no-answer':
    case 'voicemail':
      return unanswered('no-answer', start + timeout, true); // Dial's timeout counts from dialing
    case 'canceled': {
      const endAt = rangAt + clamp(o.ringSeconds ?? 8, 0, maxRing);
      return { ...unanswered('canceled', endAt, true), callerHungUp: true };
    }
  }
}
