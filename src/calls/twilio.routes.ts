import { Router, type Request, type Response } from 'express';
import { verifyTwilioSignature } from '../shared/twilio-signature';
import { parseInput } from '../shared/validation';
import type { TwilioParams } from './caller-identity';
import type { CallWebhooks } from './call-webhooks';
import { callWebhookSchema } from './calls.schemas';
import { formBody } from '../shared/small-body';

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
  r.use('/twilio', formBody({ limit: 64 * 1024, parameterLimit: 200 }));
  r.use('/twilio', verifyTwilioSignature(opts));
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
