/** A campaign's recording and transcription consent prompt (`campaigns.recording_consent`). */
export type RecordingConsent = 'off' | 'always' | 'all-party-states';

/** The setting a campaign has until it chooses one. */
export const DEFAULT_RECORDING_CONSENT: RecordingConsent = 'all-party-states';

/** What the caller hears first when a prompt is required. */
export const CONSENT_NOTICE = 'This call may be recorded and transcribed for quality and training.';

/**
 * US states whose wiretap laws require every party's consent to record a call ("all-party" or
 * "two-party" states). Source: a summary of state wiretap laws as commonly listed (e.g. the Digital
 * Media Law Project's and Justia's 50-state recording-law surveys): CA, CT, FL, IL, MD, MA, MI,
 * MT, NV, NH, PA, WA. It is a summary, not legal advice: details differ (some apply only to
 * private conversations, Oregon to in-person ones only), and laws change; review it with counsel.
 */
export const ALL_PARTY_CONSENT_STATES: ReadonlySet<string> = new Set([
  'CA',
  'CT',
  'FL',
  'IL',
  'MD',
  'MA',
  'MI',
  'MT',
  'NV',
  'NH',
  'PA',
  'WA',
]);

/**
 * Whether the call's answer must start with the consent notice: only when the call is recorded or
 * transcribed, then always, never, or when the caller's state (Twilio's FromState) requires
 * all-party consent. An unknown state does not prompt under 'all-party-states'.
 */
export function consentNoticeRequired(o: {
  setting: RecordingConsent | undefined;
  recorded: boolean;
  transcribed: boolean;
  callerState: string | null | undefined;
}): boolean {
  if (!o.recorded && !o.transcribed) return false;
  const setting = o.setting ?? DEFAULT_RECORDING_CONSENT;
  if (setting === 'off') return false;
  if (setting === 'always') return true;
  const state = o.callerState?.trim().toUpperCase();
  return state !== undefined && ALL_PARTY_CONSENT_STATES.has(state);
}
