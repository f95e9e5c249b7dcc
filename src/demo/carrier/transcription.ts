/**
 * Twilio's real-time transcription callbacks for a call whose TwiML said
 * `<Start><Transcription statusCallbackUrl>`: started, one content event per scripted utterance
 * (Final=true), one partial result (Final=false) that a receiver must ignore, stopped — delivered
 * late, in a shuffled order, with one of them sent twice as Twilio's retries do. The parameters are
 * those Leadline reads (see src/scoring/transcripts.schemas.ts for what was verified and where).
 */
import { makeSid, shuffle, type Params } from './params';
import type { DeliveryKind, SignedWebhook, TranscriptTrack } from './types';

export interface TranscriptionPlan {
  callSid: string;
  accountSid: string;
  /** The statusCallbackUrl's path under publicBaseUrl. */
  path: string;
  /** The <Transcription track>: which sides Twilio transcribes. */
  track: string;
  utterances: { track: TranscriptTrack; text: string }[];
  /** The moment (simulated seconds) the call ended, and the Date a moment is stamped with. */
  endedAt: number;
  at(seconds: number): Date;
  rng: () => number;
  sign(kind: DeliveryKind, path: string, params: Params, at: number): SignedWebhook;
}

const TRACKS: Record<TranscriptTrack, string> = {
  inbound: 'inbound_track',
  outbound: 'outbound_track',
};

/** The callbacks in the order they are sent, and which of them are retries. */
export function transcriptionCallbacks(
  p: TranscriptionPlan,
): { req: SignedWebhook; duplicate: boolean }[] {
  const transcriptionSid = makeSid('GT', p.rng);
  const spoken = p.utterances.filter(
    (u) => p.track === 'both_tracks' || TRACKS[u.track] === p.track,
  );
  let sequence = 0;
  const event = (name: string, extra: Params = {}): SignedWebhook => {
    const seconds = Math.max(0, p.endedAt - spoken.length - 1 + sequence);
    const params: Params = {
      AccountSid: p.accountSid,
      CallSid: p.callSid,
      TranscriptionSid: transcriptionSid,
      Timestamp: p.at(seconds).toISOString(),
      SequenceId: String(++sequence),
      TranscriptionEvent: name,
      ...extra,
    };
    return p.sign('transcription', p.path, params, seconds);
  };
  const content = (u: { track: TranscriptTrack; text: string }, final: boolean) =>
    event('transcription-content', {
      LanguageCode: 'en-US',
      Track: TRACKS[u.track],
      TranscriptionData: JSON.stringify({
        transcript: u.text,
        confidence: Math.round((0.85 + p.rng() * 0.14) * 1000) / 1000,
      }),
      Final: final ? 'true' : 'false',
      ...(final ? {} : { Stability: '0.6' }),
    });

  const started = event('transcription-started', { Track: p.track });
  const middle: SignedWebhook[] = [];
  spoken.forEach((u, i) => {
    // A partial result of the first utterance, cut short, before its final version.
    if (i === 0) {
      const half = u.text.split(' ').slice(0, Math.max(1, Math.ceil(u.text.split(' ').length / 2)));
      middle.push(content({ track: u.track, text: half.join(' ') }, false));
    }
    middle.push(content(u, true));
  });
  const stopped = event('transcription-stopped');
  const sends = shuffle([started, ...middle, stopped], p.rng).map((req) => ({
    req,
    duplicate: false,
  }));
  const retried = middle[middle.length - 1];
  if (retried) sends.push({ req: retried, duplicate: true });
  return sends;
}
