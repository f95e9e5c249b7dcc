import { VoiceResponse } from '../shared/twilio';

/** The voice every spoken prompt uses. */
const VOICE = 'Polly.Joanna' as const;

export const SORRY =
  "We're sorry, we can't connect your call right now. Please try again in a few minutes.";
export const NOT_IN_SERVICE = 'The number you have called is not in service. Goodbye.';
export const VOICEMAIL_PROMPT =
  'Sorry, no one is available to take your call. Please leave a message after the tone.';
export const GOODBYE = 'Thank you. Goodbye.';

export interface DialOptions {
  /** `<Dial action>`: Twilio posts the dial result here. */
  action: string;
  /** Each dialled leg reports its progress here. */
  statusCallback: string;
  recordingStatusCallback: string;
  record: boolean;
  timeoutSeconds?: number;
  callerId?: string;
  /** Said to the caller before ringing (the campaign's greeting). */
  greeting?: string | null;
  /** `<Number url>`: TwiML the agent hears on answering, before the caller is connected. */
  whisperUrl?: string;
  /** Start real-time transcription of both tracks, posting utterances here (scoring's key terms). */
  transcriptionCallback?: string;
  /** Said first, before anything is recorded or transcribed (privacy's consent notice). */
  consentNotice?: string | null;
}

/** Rings one or more numbers at once; the caller hears ringing until one answers. */
export function dialTwiml(numbers: string[], o: DialOptions): string {
  const r = new VoiceResponse();
  if (o.consentNotice) r.say({ voice: VOICE }, o.consentNotice);
  if (o.greeting) r.say({ voice: VOICE }, o.greeting);
  // After the greeting, so the campaign's own words are not transcribed as the agent's.
  if (o.transcriptionCallback) {
    r.start().transcription({
      statusCallbackUrl: o.transcriptionCallback,
      statusCallbackMethod: 'POST',
      track: 'both_tracks',
    });
  }
  const dial = r.dial({
    action: o.action,
    method: 'POST',
    timeout: o.timeoutSeconds ?? 20,
    answerOnBridge: true,
    ...(o.callerId ? { callerId: o.callerId } : {}),
    ...(o.record
      ? {
          record: 'record-from-answer-dual',
          recordingStatusCallback: o.recordingStatusCallback,
          recordingStatusCallbackMethod: 'POST',
        }
      : {}),
  });
  for (const n of numbers) {
    dial.number(
      {
        statusCallback: o.statusCallback,
        statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
        statusCallbackMethod: 'POST',
        ...(o.whisperUrl ? { url: o.whisperUrl, method: 'POST' } : {}),
      },
      n,
    );
  }
  return r.toString();
}

/** Says something, then hangs up. */
export function sayAndHangUp(text: string): string {
  const r = new VoiceResponse();
  r.say({ voice: VOICE }, text);
  r.hangup();
  return r.toString();
}

/** Refuses the call before it is answered; the caller hears a busy tone. */
export function rejectTwiml(reason: 'busy' | 'rejected' = 'busy'): string {
  const r = new VoiceResponse();
  r.reject({ reason });
  return r.toString();
}

/** Offers voicemail: a prompt, then a recording reported to `recordingStatusCallback`. */
export function voicemailTwiml(o: { action: string; recordingStatusCallback: string }): string {
  const r = new VoiceResponse();
  r.say({ voice: VOICE }, VOICEMAIL_PROMPT);
  r.record({
    action: o.action,
    method: 'POST',
    maxLength: 120,
    playBeep: true,
    recordingStatusCallback: o.recordingStatusCallback,
    recordingStatusCallbackMethod: 'POST',
  });
  return r.toString();
}

export function hangUpTwiml(): string {
  const r = new VoiceResponse();
  r.hangup();
  return r.toString();
}

/** A follow-up callback, once the agent answers: ring the caller, showing the tracking number. */
export function bridgeTwiml(callerNumber: string, callerId: string): string {
  const r = new VoiceResponse();
  r.dial({ callerId }, callerNumber);
  return r.toString();
}

/** The agent's whisper: which campaign the call is for ("Leadline call" when unknown). */
export function whisperTwiml(campaignName: string | null): string {
  const r = new VoiceResponse();
  r.say({ voice: VOICE }, campaignName ? `Leadline call from ${campaignName}` : 'Leadline call');
  return r.toString();
}
