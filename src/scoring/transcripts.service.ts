import type { CallService } from '../calls/calls.service';
import type { Enqueue } from '../jobs/queue';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { parseInput } from '../shared/validation';
import type { Utterance } from './key-terms';
import { FINAL_STATUSES } from './scoring.service';
import type { TranscriptsRepo } from './transcripts.repo';
import { transcriptionContentSchema, transcriptionEventSchema } from './transcripts.schemas';

export interface TranscriptServiceDeps {
  repo: TranscriptsRepo;
  calls: Pick<CallService, 'findCall'>;
  enqueue: Enqueue;
  clock: Clock;
  log: Logger;
}

/** What became of one transcription callback. */
export type TranscriptOutcome = 'stored' | 'duplicate' | 'ignored' | 'stopped';

/**
 * A call's transcript from Twilio's real-time transcription callbacks: final utterances only,
 * each stored once whatever the order or number of deliveries. A call is rescored (through the
 * `call.score` job) when its transcription stops, and whenever an utterance arrives after the
 * call finished; utterances stored earlier are read by the score its final status queues.
 */
export function createTranscriptService(deps: TranscriptServiceDeps) {
  const { repo, calls, enqueue, clock, log } = deps;

  async function rescoreIfFinished(callSid: string): Promise<void> {
    const call = await calls.findCall(callSid);
    if (call && FINAL_STATUSES.has(call.status)) await enqueue('call.score', { callSid });
  }

  return {
    /** POST /twilio/transcription: validates (400 naming the field), stores, queues rescoring. */
    async receive(params: unknown): Promise<TranscriptOutcome> {
      const event = parseInput(transcriptionEventSchema, params, 'transcription callback');
      const callSid = event.CallSid;
      switch (event.TranscriptionEvent) {
        case 'transcription-content':
          break;
        case 'transcription-stopped':
          await enqueue('call.score', { callSid });
          return 'stopped';
        default:
          // transcription-started, transcription-error and anything Twilio adds: nothing to keep.
          log.debug({ callSid, event: event.TranscriptionEvent }, 'transcription event ignored');
          return 'ignored';
      }
      const content = parseInput(transcriptionContentSchema, params, 'transcription callback');
      const text = content.TranscriptionData.transcript.trim();
      if (content.Final !== 'true' || text === '') return 'ignored';
      const at = content.Timestamp ? new Date(content.Timestamp) : clock.now();
      const stored = await repo.insertUtterance({
        callSid,
        track: content.Track === 'inbound_track' ? 'inbound' : 'outbound',
        sequence: content.SequenceId,
        text,
        confidence: content.TranscriptionData.confidence ?? null,
        at: Number.isFinite(at.getTime()) ? at : clock.now(),
      });
      if (!stored) return 'duplicate';
      await rescoreIfFinished(callSid);
      return 'stored';
    },

    /** Some calls' transcripts, by call sid, in the order spoken (calls without one are absent). */
    async transcriptsOf(callSids: string[]): Promise<Map<string, Utterance[]>> {
      const byCall = new Map<string, Utterance[]>();
      for (const row of await repo.forCalls(callSids)) {
        const list = byCall.get(row.callSid) ?? [];
        list.push({ track: row.track, sequence: row.sequence, text: row.text });
        byCall.set(row.callSid, list);
      }
      return byCall;
    },

    /** Erasure: forgets what was said on these calls. */
    forgetCalls: (callSids: string[]) => repo.deleteForCalls(callSids),

    /** Retention: forgets the whole transcript of up to `limit` calls with an utterance before `before`. */
    forgetOlderThan: (before: Date, limit: number) => repo.deleteOlderThan(before, limit),
  };
}
export type TranscriptService = ReturnType<typeof createTranscriptService>;
