import type { NextFunction, Request, Response } from 'express';
import { ForbiddenError } from '../shared/errors';
import { isValidTwilioSignature } from '../shared/twilio';

/**
 * Checks X-Twilio-Signature on routing's own Twilio routes against the configured public URL,
 * as the calls feature does for its webhooks (whose check is not exported from its routes).
 */
export function verifyTwilioSignature(opts: { authToken: string; publicBaseUrl: string }) {
  return function verifyRoutingTwilioSignature(req: Request, _res: Response, next: NextFunction) {
    const params = (req.body ?? {}) as Record<string, string>;
    const url = `${opts.publicBaseUrl}${req.originalUrl}`;
    if (!isValidTwilioSignature(opts.authToken, req.get('x-twilio-signature'), url, params)) {
      req.log.warn({ path: req.path }, 'twilio request with a bad or missing signature');
      return next(
        new ForbiddenError('X-Twilio-Signature is missing or does not match', 'invalid_signature'),
      );
    }
    next();
  };
}
