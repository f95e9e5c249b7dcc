import type { RequestHandler } from 'express';
import { ForbiddenError } from './errors';
import { isValidTwilioSignature } from './twilio';

/**
 * Checks X-Twilio-Signature against the configured public URL (never one guessed from headers a
 * proxy could forge), for every route Twilio calls: call webhooks, transcription, the agent's
 * whisper and follow-up callbacks. A missing or wrong signature is 403 and nothing is read further.
 */
export function verifyTwilioSignature(opts: {
  authToken: string;
  publicBaseUrl: string;
}): RequestHandler {
  return function verifyTwilioSignature(req, _res, next) {
    const params = (req.body ?? {}) as Record<string, string>;
    const url = `${opts.publicBaseUrl}${req.originalUrl}`;
    if (!isValidTwilioSignature(opts.authToken, req.get('x-twilio-signature'), url, params)) {
      req.log.warn({ path: req.path }, 'twilio webhook with a bad or missing signature');
      return next(
        new ForbiddenError('X-Twilio-Signature is missing or does not match', 'invalid_signature'),
      );
    }
    next();
  };
}
