// The scores of a run's calls: wait for the queue to score them, count the labels, and show why.
import type { LeadlineClient } from './leadline-client';

export interface ScoredCall {
  callSid: string;
  score: number;
  qualified: boolean;
  label: string;
  explanation: { rule: string; name?: string; points: number; facts: Record<string, unknown> }[];
}

/**
 * Reads each call until it has a score (scoring runs as a queue job) and the scores have stopped
 * changing: a transcript arriving after the call ended rescores it a moment later. Gives up after
 * `timeoutMs`.
 */
export async function waitForScores(
  client: LeadlineClient,
  callSids: string[],
  timeoutMs = 60_000,
): Promise<{ scored: ScoredCall[]; unscored: string[] }> {
  const until = Date.now() + timeoutMs;
  let previous = '';
  for (;;) {
    const scored = new Map<string, ScoredCall>();
    for (const callSid of callSids) {
      const res = await client.find<{ score?: Omit<ScoredCall, 'callSid'> | null }>(
        `/calls/${callSid}`,
      );
      if (res.status === 200 && res.body.score) scored.set(callSid, { callSid, ...res.body.score });
    }
    const unscored = callSids.filter((s) => !scored.has(s));
    const snapshot = JSON.stringify([...scored.values()]);
    const settled = unscored.length === 0 && snapshot === previous;
    if (settled || Date.now() > until) {
      return { scored: callSids.flatMap((s) => scored.get(s) ?? []), unscored };
    }
    previous = snapshot;
    // Longer than the queue's polling interval, so a queued rescore has had its chance to run.
    await new Promise((r) => setTimeout(r, 1_500));
  }
}

/** `hot 12, warm 8, cold 20, spam 1` in that order, then any label a site's rules invented. */
export function countLabels(scored: ScoredCall[]): Map<string, number> {
  const counts = new Map<string, number>(['hot', 'warm', 'cold', 'spam'].map((l) => [l, 0]));
  for (const s of scored) counts.set(s.label, (counts.get(s.label) ?? 0) + 1);
  return counts;
}

/** One rule as a person reads it: its name, points and what it saw (a quote for key terms). */
export function explainRule(e: ScoredCall['explanation'][number]): string {
  const points = e.points >= 0 ? `+${e.points}` : String(e.points);
  const f = e.facts;
  const why =
    typeof f.utterance === 'string'
      ? ` "${f.utterance}"`
      : typeof f.talkSeconds === 'number'
        ? ` (${f.talkSeconds}s)`
        : typeof f.medium === 'string'
          ? ` (${f.medium})`
          : '';
  return `${e.name ?? e.rule} ${points}${why}`;
}

/** The label counts, and for each label one call with every rule that fired. */
export function labelReport(scored: ScoredCall[], unscored: string[]): string[] {
  const counts = countLabels(scored);
  const lines = [
    `scores: ${[...counts].map(([l, n]) => `${n} ${l}`).join(', ')}` +
      (unscored.length ? `, ${unscored.length} not scored yet` : '') +
      ' (GET /api/v1/calls?label=…)',
  ];
  for (const label of counts.keys()) {
    // The call that shows most: one quoting what was said if any, then the most rules.
    const quotes = (s: ScoredCall) =>
      s.explanation.some((e) => typeof e.facts.utterance === 'string') ? 1 : 0;
    const example = scored
      .filter((s) => s.label === label)
      .sort((a, b) => quotes(b) - quotes(a) || b.explanation.length - a.explanation.length)[0];
    if (!example) continue;
    const rules = example.explanation.map(explainRule).join('; ') || 'no rule fired';
    lines.push(`  ${label.padEnd(5)} ${example.callSid.slice(0, 10)}… ${example.score}: ${rules}`);
  }
  return lines;
}
