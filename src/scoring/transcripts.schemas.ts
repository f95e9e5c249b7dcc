import { z } from 'zod';

/*
 * Twilio's real-time transcription callbacks (`<Start><Transcription statusCallbackUrl>`), and
 * what was checked about them, where:
 * - twilio-node 6.2.0, lib/twiml/VoiceResponse.d.ts (installed): `start().transcription(attrs)`
 *   takes statusCallbackUrl, statusCallbackMethod ('GET' | 'POST'), track ('inbound_track' |
 *   'outbound_track' | 'both_tracks'), partialResults, name, languageCode, inbound/outbound
 *   TrackLabel, hints, transcriptionEngine, speechModel, profanityFilter,
 *   enableAutomaticPunctuation, intelligenceService. Track labels are not set here: they could
 *   rename the Track values read below.
 * - Twilio's <Transcription> page (twilio.com/docs/voice/twiml/transcription; only its opening is
 *   in the reference store): used inside <Start>; utterances for live processing arrive on
 *   statusCallbackUrl. Its table of callback parameters was NOT in the store.
 * - Twilio's error page 17580 (twilio.com/docs/api/errors/17580): a 5xx, 408, 425 or 429 answer to
 *   a transcription callback is retried up to three times, other 4xx are not. So duplicates
 *   happen, and a 400 for a malformed callback is not retried.
 * - Public code handling these callbacks (not Twilio's docs): form fields `TranscriptionEvent`
 *   ('transcription-started' | 'transcription-content' | 'transcription-stopped' |
 *   'transcription-error'), `TranscriptionData` (JSON with `transcript`), `Track`
 *   ('inbound_track' | 'outbound_track'), `Timestamp`, `CallSid`.
 * - Built to, not verified in the store: `Final` ('true' | 'false'; partial results carry
 *   'false' and a `Stability`), `SequenceId` (a whole number ordering one transcription's
 *   events), `confidence` (0–1) inside TranscriptionData, `TranscriptionSid`, `LanguageCode`.
 *   Unknown fields are accepted and ignored, so added parameters do not break the webhook.
 */

const callSid = z
  .string()
  .regex(/^CA[0-9a-fA-F]{32}$/, 'must be a Twilio CallSid (CA + 32 hex digits)');

/** Every transcription callback: which call, which event. */
export const transcriptionEventSchema = z
  .object({
    CallSid: callSid,
    TranscriptionEvent: z.string().trim().min(1, 'is required').max(64),
  })
  .passthrough();

const transcriptionData = z
  .string()
  .transform((raw, ctx) => {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON such as {"transcript":"…"}' });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .object({
        transcript: z.string({ message: 'must carry a transcript string' }).max(10_000),
        confidence: z.number().min(0).max(1).optional(),
      })
      .passthrough(),
  );

/** A `transcription-content` callback: one utterance, final or partial. */
export const transcriptionContentSchema = z
  .object({
    CallSid: callSid,
    Track: z.enum(['inbound_track', 'outbound_track'], {
      message: 'must be inbound_track or outbound_track',
    }),
    SequenceId: z
      .string()
      .regex(/^\d{1,9}$/, 'must be a whole number')
      .transform(Number),
    Final: z
      .string()
      .transform((v) => v.trim().toLowerCase())
      .pipe(z.enum(['true', 'false'], { message: 'must be true or false' })),
    TranscriptionData: transcriptionData,
    Timestamp: z.string().optional(),
  })
  .passthrough();
export type TranscriptionContent = z.infer<typeof transcriptionContentSchema>;
