import { Router, type Request, type Response } from 'express';
import { verifyTwilioSignature } from '../shared/twilio-signature';
import type { TranscriptService } from './transcripts.service';
import { formBody } from '../shared/small-body';

/**
 * `POST /twilio/transcription`: Twilio's real-time transcription callbacks, signed like every
 * webhook. The callback parameters it reads (TranscriptionEvent, TranscriptionData's transcript and
 * confidence, Track, Final, SequenceId) and where each was verified are listed in
 * transcripts.schemas.ts.
 */
export function transcriptionRoutes(
  transcripts: Pick<TranscriptService, 'receive'>,
  opts: { authToken: string; publicBaseUrl: string },
): Router {
  const r = Router();
  r.post(
    '/twilio/transcription',
    formBody({ limit: 64 * 1024, parameterLimit: 200 }),
    verifyTwilioSignature(opts),
    transcriptionCallback,
  );
  return r;

  async function transcriptionCallback(req: Request, res: Response) {
    await transcripts.receive(req.body);
    res.status(204).end();
  }
}
