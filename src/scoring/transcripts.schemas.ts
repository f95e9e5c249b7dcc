import { z } from 'zod';

/*
 * Twilio's real-time transcription callbacks (`<Start><Transcription statusCallbackUrl>`), and
 * what was checked about them, where (public copies read on 2026-11-30):
 * - twilio-node 6.2.0, lib/twiml/VoiceResponse.d.ts (installed): `start().transcription(attrs)`
 *   takes statusCallbackUrl, statusCallbackMethod ('GET' | 'POST'), track ('inbound_track' |
 *   'outbound_track' | 'both_tracks'), partialResults, name, languageCode, inbound/outbound
 *   TrackLabel, hints, transcriptionEngine, speechModel, profanityFilter,
 *   enableAutomaticPunctuation, intelligenceService. Track labels are not set here: public code
 *   suggests a label may then replace the Track value read below.
 * - Twilio's <Transcription> page, https://www.twilio.com/docs/voice/twiml/transcription (and its
 *   markdown copy docs-dev.vercel.app/docs/voice/twiml/transcription.md): used inside <Start>;
 *   utterances for live processing arrive on statusCallbackUrl. Only the page's opening could be
 *   read, NOT its table of callback parameters.
 * - Twilio's Calls Transcriptions subresource (docs-dev.vercel.app/docs/voice/api/
 *   realtime-transcription-resource.md, and the OpenAPI operation CreateRealtimeTranscription):
 *   Track is inbound_track, outbound_track or both_tracks; PartialResults says whether partial
 *   results are sent at all.
 * - Twilio's error page 17580, https://www.twilio.com/docs/api/errors/17580: a 5xx, 408, 425 or
 *   429 answer to a transcription callback is retried up to three times, other 4xx are not. So
 *   duplicates happen, and a 400 for a malformed callback is not retried.
 * - Public code that handles these callbacks (GitHub; not Twilio's own docs):
 *   MitsuharuNakamura/twilio-browser-phone-demo, functions/webhook.js: TranscriptionEvent is
 *   'transcription-started' | 'transcription-content' | 'transcription-stopped';
 *   TranscriptionData is a JSON string with `transcript` and a numeric `confidence`; `Track` on
 *   content events. The same repository's functions/voice-call.js starts it with
 *   track=both_tracks and partialResults. Several further public handlers (their repositories were
 *   not recorded) read the same fields and also: `Final` compared with the
 *   string 'true' to keep final results only, `SequenceId` stored as a number, `Timestamp`,
 *   `TranscriptionSid`, `AccountSid`, Track values 'inbound_track' | 'outbound_track', and a
 *   'transcription-error' event.
 * - Still unverified against Twilio's docs: whether SequenceId counts per TranscriptionSid (we key
 *   utterances by call + track + SequenceId, which assumes one transcription per call, as routing
 *   starts it once), the range of `confidence` (kept only when 0–1; an odd value never costs the
 *   utterance, since Twilio does not resend a callback answered 400), the `Stability` of partial
 *   results, `LanguageCode`. Unknown fields are accepted and ignored, so added parameters do not
 *   break the webhook.
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
        // Kept when it is a number in 0–1; anything else is dropped rather than the utterance.
        confidence: z.number().min(0).max(1).optional().catch(undefined),
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
