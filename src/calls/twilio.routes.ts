import express, { Router, type RequestHandler } from 'express';
import { ForbiddenError } from '../shared/errors';
import { isValidTwilioSignature } from '../shared/twilio';
import { parseInput } from '../shared/validation';
import type { CallService, TwilioParams } from './calls.service';
import { callWebhookSchema } from './calls.schemas';

/**
 * Checks X-Twilio-Signature against the configured public URL (never one guessed from headers a
 * proxy could forge). A missing or wrong signature is 403 and nothing is read further.
 */
function verifyTwilio(authToken: string, publicBaseUrl: string): RequestHandler {
  return (req, _res, next) => {
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

const sendTwiml = (res: express.Response, xml: string) => {
  res.type('text/xml').send(xml);
};

/** Twilio's webhooks: form-encoded, signed, answered with TwiML. */
export function twilioRoutes(
  calls: CallService,
  opts: { authToken: string; publicBaseUrl: string },
): Router {
  const r = Router();
  r.use('/twilio', express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 200 }));
  r.use('/twilio', verifyTwilio(opts.authToken, opts.publicBaseUrl));
  const params = (body: unknown) => parseInput(callWebhookSchema, body, 'webhook') as TwilioParams;

  r.post('/twilio/voice', async (req, res) => {
    sendTwiml(res, await calls.voice(params(req.body)));
  });
  r.post('/twilio/fallback', async (req, res) => {
    sendTwiml(res, await calls.voiceFallback(params(req.body)));
  });
  r.post('/twilio/status', async (req, res) => {
    await calls.status(params(req.body));
    res.status(204).end();
  });
  r.post('/twilio/dial-status', async (req, res) => {
    sendTwiml(res, await calls.dialStatus(params(req.body)));
  });
  r.post('/twilio/recording', async (req, res) => {
    await calls.recording(params(req.body), req.query.kind === 'voicemail' ? 'voicemail' : 'call');
    res.status(204).end();
  });
  r.post('/twilio/voicemail', (_req, res) => {
    sendTwiml(res, calls.voicemailDone());
  });
  return r;
}
