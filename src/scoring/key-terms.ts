/** One final utterance of a call's transcript, as scoring reads it. */
export interface Utterance {
  /** inbound: the caller; outbound: what the caller hears (the agent). */
  track: 'inbound' | 'outbound';
  /** Twilio's SequenceId: utterances are read in this order. */
  sequence: number;
  text: string;
}

/** What a key-term rule found: the term and the utterance that said it. */
export interface KeyTermMatch {
  term: string;
  utterance: string;
  track: Utterance['track'];
}

const patterns = new Map<string, RegExp>();

/**
 * A term as a whole-word, case-insensitive pattern: "price" matches "Price?" but not "priceless";
 * a phrase's words may be separated by any spacing or punctuation ("how much" ~ "how... much").
 */
function patternOf(term: string): RegExp {
  let re = patterns.get(term);
  if (!re) {
    const words = term
      .trim()
      .split(/[^\p{L}\p{N}']+/u)
      .filter(Boolean)
      .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    re = new RegExp(`(?<![\\p{L}\\p{N}])${words.join('[^\\p{L}\\p{N}]+')}(?![\\p{L}\\p{N}])`, 'iu');
    if (patterns.size > 10_000) patterns.clear();
    patterns.set(term, re);
  }
  return re;
}

/**
 * The first utterance (in the order spoken) on the given track that says any of the terms, or
 * null. Terms are tried in the order the rule lists them, for each utterance in turn.
 */
export function findKeyTerm(
  transcript: readonly Utterance[],
  terms: readonly string[],
  track: 'inbound' | 'outbound' | 'both',
): KeyTermMatch | null {
  const spoken = transcript
    .filter((u) => track === 'both' || u.track === track)
    .sort((a, b) => a.sequence - b.sequence || a.track.localeCompare(b.track));
  for (const u of spoken) {
    for (const term of terms) {
      if (patternOf(term).test(u.text)) return { term, utterance: u.text, track: u.track };
    }
  }
  return null;
}
