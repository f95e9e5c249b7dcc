import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { ForbiddenError } from '../shared/errors';
import { isValidTwilioSignature } from '../shared/twilio';
import { parseInput } from '../shared/validation';
import type { TwilioParams } from './caller-identity';
import type { CallWebhooks } from './call-webhooks';
import { callWebhookSchema } from './calls.schemas';

/**
 * Checks X-Twilio-Signature against the configured public URL (never one guessed from headers a
 * proxy could forge). A missing or wrong signature is 403 and nothing is read further.
 */
export function verifyTwilio(authToken: string, publicBaseUrl: string): RequestHandler {
  return function verifyTwilioSignature(req, _res, next) {
    const params = (req.body ?? {}) as TwilioParams;
    const url = `${publicBaseUrl}${req.originalUrl}`;
    if (!isValidTwilioSignature(authToken, req.get('x-twilio-signature'), url, params)) {
      req.log.warn({ path: req.path }, 'twilio webhook with a bad or missing signature');
      return next(
        new ForbiddenError('X-Twilio-Signature is missing or does not match', 'invalid_signature'),
      );
    }
    next();
  };
}

const sendTwiml = (res: Response, xml: string) => {
  res.type('text/xml').send(xml);
};
const paramsOf = (req: Request) =>
  parseInput(callWebhookSchema, req.body, 'webhook') as TwilioParams;

/** Twilio's webhooks: form-encoded, signed, answered with TwiML. */
export function twilioRoutes(
  webhooks: CallWebhooks,
  opts: { authToken: string; publicBaseUrl: string },
): Router {
  const r = Router();
  r.use('/twilio', express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 200 }));
  r.use('/twilio', verifyTwilio(opts.authToken, opts.publicBaseUrl));
  r.post('/twilio/voice', incomingCall);
  r.post('/twilio/fallback', voiceFallback);
  r.post('/twilio/status', statusCallback);
  r.post('/twilio/dial-status', dialResult);
  r.post('/twilio/recording', recordingReady);
  r.post('/twilio/voicemail', voicemailDone);
  return r;

  async function incomingCall(req: Request, res: Response) {
    sendTwiml(res, await webhooks.voice(paramsOf(req)));
  }
  async function voiceFallback(req: Request, res: Response) {
    sendTwiml(res, await webhooks.voiceFallback(paramsOf(req)));
  }
  async function statusCallback(req: Request, res: Response) {
    await webhooks.status(paramsOf(req));
    res.status(204).end();
  }
  async function dialResult(req: Request, res: Response) {
    sendTwiml(res, await webhooks.dialStatus(paramsOf(req)));
  }
  async function recordingReady(req: Request, res: Response) {
    const kind = req.query.kind === 'voicemail' ? 'voicemail' : 'call';
    await webhooks.recording(paramsOf(req), kind);
    res.status(204).end();
  }
  function voicemailDone(_req: Request, res: Response) {
    sendTwiml(res, webhooks.voicemailDone());
  }
}
