import { Router, type Request, type Response } from 'express';
import { parseInput } from '../shared/validation';
import { callbackStatusParams, followUpAction } from './follow-ups.schemas';
import type { FollowUpService } from './follow-ups.service';
import { verifyTwilioSignature } from '../shared/twilio-signature';
import { formBody } from '../shared/small-body';

/**
 * Twilio's requests for a follow-up callback Leadline placed: the TwiML once the agent answers
 * (bridge the caller), and the leg's status callbacks (how the attempt ended). Signed like every
 * Twilio webhook.
 */
export function followUpTwilioRoutes(
  followUps: Pick<FollowUpService, 'bridge' | 'callbackStatus'>,
  opts: { authToken: string; publicBaseUrl: string },
): Router {
  const r = Router();
  r.use('/twilio/follow-ups', formBody({ limit: 64 * 1024, parameterLimit: 1000 }));
  r.use('/twilio/follow-ups', verifyTwilioSignature(opts));
  r.post('/twilio/follow-ups/:sid/bridge', bridgeCaller);
  r.post('/twilio/follow-ups/:sid/status', callbackStatus);
  return r;

  async function bridgeCaller(req: Request, res: Response) {
    const { callSid } = parseInput(followUpAction, { callSid: req.params.sid }, 'path');
    res.type('text/xml').send(await followUps.bridge(callSid));
  }

  async function callbackStatus(req: Request, res: Response) {
    const { callSid } = parseInput(followUpAction, { callSid: req.params.sid }, 'path');
    const leg = parseInput(callbackStatusParams, req.body, 'webhook');
    await followUps.callbackStatus(callSid, {
      callbackCallSid: leg.CallSid,
      status: leg.CallStatus,
    });
    res.status(204).end();
  }
}
