import type { NumberDirectory } from '../numbers/number-directory';
import type { RoutingService } from '../routing/routing.service';
import type { Clock } from '../shared/clock';
import { withDeadline } from '../shared/deadline';
import type { Logger } from '../shared/logger';
import type { BlockList } from './block-list';
import type { TwilioParams } from './caller-identity';
import type { WebhookIngest } from './webhook-ingest';

const FINAL_STATUSES = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);

export interface CallWebhooksDeps {
  ingest: WebhookIngest;
  directory: NumberDirectory;
  blockList: BlockList;
  routing: RoutingService;
  clock: Clock;
  log: Logger;
  /** Answer the voice webhook within this, whatever the database is doing. */
  voiceDeadlineMs: number;
}

/**
 * Twilio's webhooks, one method each: record what happened (webhook-ingest.ts) and, where Twilio
 * waits for TwiML, hand it routing's answer. A caller is never left without an answer.
 */
export function createCallWebhooks(deps: CallWebhooksDeps) {
  const { ingest, directory, blockList, routing, clock, log } = deps;
  // Callbacks wait a little longer than the caller-facing voice answer; Twilio gives up at 15 s.
  const writeDeadline = deps.voiceDeadlineMs * 2.5;

  /**
   * Routing decides the answer from the number directory and the block list; the event is stored
   * (or journaled) in parallel. The caller's answer never waits on storing, and Twilio never gets
   * the answer before the webhook is durable.
   */
  async function answerAndRecord(params: TwilioParams, receivedAt: Date): Promise<string> {
    const from = params.From ?? '';
    const to = params.To ?? '';
    const lookups = Promise.all([to ? directory.lookup(to) : null, blockList.match(from)]);
    const recorded = ingest.record('voice', params, {
      receivedAt,
      // What the lookups found spares the ingest asking again; if they fail, it asks itself.
      known: lookups.then(
        ([number, blockedBy]) => ({ blocked: blockedBy !== undefined, number }),
        () => undefined,
      ),
      timeoutMs: deps.voiceDeadlineMs * 0.75,
    });
    const answer = withDeadline(
      lookups.then(async ([number, blockedBy]) => {
        const call = {
          callSid: params.CallSid ?? '',
          from,
          caller: { city: params.FromCity, state: params.FromState, zip: params.FromZip },
          number,
          blocked: blockedBy !== undefined,
        };
        const { twiml, decision } = await routing.answerIncoming({ ...call, recorded });
        if (decision.reason === 'blocked') {
          log.info({ callSid: call.callSid, from, pattern: blockedBy }, 'blocked caller rejected');
        } else if (decision.reason === 'unknown_number') {
          log.warn({ callSid: call.callSid, to }, 'call to a number Leadline does not track');
        }
        return twiml;
      }),
      deps.voiceDeadlineMs,
    ).catch((err: unknown) => {
      log.error(
        { err, callSid: params.CallSid },
        'voice webhook failed; dialling the fallback number',
      );
      return routing.fallbackAnswer(directory.peek(to), { state: params.FromState });
    });
    const [twiml] = await Promise.all([answer, recorded]);
    return twiml;
  }

  return {
    /** POST /twilio/voice: TwiML within the deadline (the fallback if it must), once durable. */
    voice: (params: TwilioParams): Promise<string> => answerAndRecord(params, clock.now()),

    /** POST /twilio/fallback (the number's VoiceFallbackUrl): Twilio could not get TwiML from us. */
    async voiceFallback(params: TwilioParams): Promise<string> {
      const to = params.To ?? '';
      const half = deps.voiceDeadlineMs / 2;
      await ingest.record('fallback', params, { timeoutMs: half });
      const number =
        directory.peek(to) ?? (await withDeadline(directory.lookup(to), half).catch(() => null));
      return routing.fallbackAnswer(number, { state: params.FromState });
    },

    /** POST /twilio/status. */
    async status(params: TwilioParams) {
      const stored = await ingest.record('status', params, { timeoutMs: writeDeadline });
      // The caller's own call is over: its agent is free for the next one.
      if (!params.ParentCallSid && FINAL_STATUSES.has(params.CallStatus ?? '')) {
        await routing.callEnded(params.CallSid ?? '').catch((err: unknown) => {
          log.error({ err, callSid: params.CallSid }, 'agent not freed after the call ended');
        });
      }
      return stored;
    },

    /** POST /twilio/dial-status: the dialled leg ended; routing says what the caller hears next. */
    async dialStatus(params: TwilioParams): Promise<string> {
      await ingest.record('dial', params, { timeoutMs: writeDeadline });
      return routing.answerDialResult(params.DialCallStatus, {
        callSid: params.CallSid,
        to: params.To,
        from: params.From,
        dialCallSid: params.DialCallSid,
      });
    },

    /** POST /twilio/voicemail (the `<Record action>`). */
    voicemailDone: () => routing.voicemailDone(),

    /** POST /twilio/recording: a call recording or a voicemail is ready. */
    recording: (params: TwilioParams, kind: 'voicemail' | 'call') =>
      ingest.record(
        'recording',
        kind === 'voicemail' ? { ...params, LeadlineRecordingKind: 'voicemail' } : params,
        { timeoutMs: writeDeadline },
      ),
  };
}
export type CallWebhooks = ReturnType<typeof createCallWebhooks>;
