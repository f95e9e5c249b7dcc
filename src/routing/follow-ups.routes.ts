import express, { Router, type Request, type Response } from 'express';
import { ForbiddenError } from '../shared/errors';
import { isValidTwilioSignature } from '../shared/twilio';
import { parseInput } from '../shared/validation';
import { followUpAction } from './follow-ups.schemas';
import type { FollowUpService } from './follow-ups.service';

/**
 * Twilio's requests for a follow-up callback Leadline placed: the TwiML once the agent answers
 * (bridge the caller), and the leg's status callbacks. Signed like every Twilio webhook.
 */
export function followUpTwilioRoutes(
  followUps: Pick<FollowUpService, 'bridge'>,
  opts: { authToken: string; publicBaseUrl: string },
): Router {
  const r = Router();
  r.use('/twilio/follow-ups', express.urlencoded({ extended: false, limit: '64kb' }));
  r.use('/twilio/follow-ups', verifySignature);
  r.post('/twilio/follow-ups/:sid/bridge', bridgeCaller);
  r.post('/twilio/follow-ups/:sid/status', callbackStatus);
  return r;

  function verifySignature(req: Request, _res: Response, next: (err?: unknown) => void) {
    const params = (req.body ?? {}) as Record<string, string>;
    const url = `${opts.publicBaseUrl}${req.originalUrl}`;
    if (!isValidTwilioSignature(opts.authToken, req.get('x-twilio-signature'), url, params)) {
      req.log.warn({ path: req.path }, 'follow-up webhook with a bad or missing signature');
      return next(
        new ForbiddenError('X-Twilio-Signature is missing or does not match', 'invalid_signature'),
      );
    }
    next();
  }

  async function bridgeCaller(req: Request, res: Response) {
    const { callSid } = parseInput(followUpAction, { callSid: req.params.sid }, 'path');
    res.type('text/xml').send(await followUps.bridge(callSid));
  }

  function callbackStatus(req: Request, res: Response) {
    const body = (req.body ?? {}) as Record<string, string>;
    req.log.info(
      { callSid: req.params.sid, callbackCallSid: body.CallSid, status: body.CallStatus },
      'follow-up callback status',
    );
    res.status(204).end();
  }
}
