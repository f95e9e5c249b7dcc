import type { StoredAttempt } from '../../db/schema';
import type { CampaignRouting, DirectoryEntry } from '../numbers/number-directory';
import { dialTwiml, sayAndHangUp, SORRY, voicemailTwiml } from './twiml';

/** A campaign's routing settings when the directory entry carries none. */
export const DEFAULT_ROUTING: CampaignRouting = {
  dialTimeoutSeconds: 20,
  maxAgentAttempts: 3,
  voicemail: true,
  greeting: null,
};

/** How an answer opens: said and started before the first `<Dial>`. */
export interface AnswerOpening {
  greeting?: string | null;
  /** Only a call's first answer starts transcription: it then runs for the rest of the call. */
  startTranscription?: boolean;
  consentNotice?: string | null;
}

/**
 * The TwiML of one routing step (dial an agent or the fallback, voicemail), with every callback
 * pointing at Leadline's public address.
 */
export function createAnswers(publicBaseUrl: string) {
  const url = (path: string) => `${publicBaseUrl}${path}`;
  const dialOptions = (record: boolean) => ({
    action: url('/twilio/dial-status'),
    statusCallback: url('/twilio/status'),
    recordingStatusCallback: url('/twilio/recording'),
    record,
  });
  const transcriptionOf = (number: DirectoryEntry | null, start: boolean | undefined) =>
    start && number?.transcription ? { transcriptionCallback: url('/twilio/transcription') } : {};

  const voicemail = () =>
    voicemailTwiml({
      action: url('/twilio/voicemail'),
      recordingStatusCallback: url('/twilio/recording?kind=voicemail'),
    });

  return {
    voicemail,

    /** The TwiML for an attempt: dial its number (an agent with a whisper), or voicemail. */
    forAttempt(
      callSid: string,
      attempt: StoredAttempt | undefined,
      number: DirectoryEntry | null,
      opening: AnswerOpening = {},
    ): string {
      if (!attempt) return sayAndHangUp(SORRY);
      if (attempt.kind === 'voicemail') return voicemail();
      const settings = number?.routing ?? DEFAULT_ROUTING;
      return dialTwiml([attempt.number ?? ''], {
        ...dialOptions(number?.recordCalls === true),
        timeoutSeconds: settings.dialTimeoutSeconds,
        greeting: opening.greeting,
        consentNotice: opening.consentNotice ?? null,
        // The agent hears which campaign the call is for before the caller is connected.
        ...(attempt.kind === 'agent'
          ? { whisperUrl: url(`/twilio/whisper/${encodeURIComponent(callSid)}`) }
          : {}),
        ...transcriptionOf(number, opening.startTranscription),
      });
    },

    /**
     * Dials the campaign's fallback number with no agent, decision or whisper (Leadline could not
     * decide in time); says sorry when there is none.
     */
    fallback(number: DirectoryEntry | null, opening: AnswerOpening = {}): string {
      if (!number?.fallbackNumber) return sayAndHangUp(SORRY);
      return dialTwiml([number.fallbackNumber], {
        ...dialOptions(false),
        consentNotice: opening.consentNotice ?? null,
        ...transcriptionOf(number, opening.startTranscription),
      });
    },
  };
}
export type Answers = ReturnType<typeof createAnswers>;
