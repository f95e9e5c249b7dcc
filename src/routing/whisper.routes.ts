import { Router, type Request, type Response } from 'express';
import { parseInput } from '../shared/validation';
import type { RoutingService } from './routing.service';
import { followUpAction } from './follow-ups.schemas';
import { verifyTwilioSignature } from '../shared/twilio-signature';
import { formBody } from '../shared/small-body';

/** POST /twilio/whisper/:sid: what the agent hears on answering (`<Number url>`); signed. */
export function whisperRoutes(
  routing: Pick<RoutingService, 'whisper'>,
  opts: { authToken: string; publicBaseUrl: string },
): Router {
  const r = Router();
  r.use('/twilio/whisper', formBody({ limit: 64 * 1024, parameterLimit: 1000 }));
  r.use('/twilio/whisper', verifyTwilioSignature(opts));
  r.post('/twilio/whisper/:sid', agentWhisper);
  return r;

  async function agentWhisper(req: Request, res: Response) {
    const { callSid } = parseInput(followUpAction, { callSid: req.params.sid }, 'path');
    res.type('text/xml').send(await routing.whisper(callSid));
  }
}
