import type { AttributionConfidence } from '../../db/schema';

export interface LeaseCandidate {
  sessionId: string;
  shared: boolean;
  startedAt: Date;
  expiresAt: Date;
}

export interface AttributionDecision<L extends LeaseCandidate> {
  confidence: AttributionConfidence;
  chosen: L | undefined;
  /** Every session that could have placed the call, when more than one could. */
  candidates: string[] | null;
}

const byNewestEnd = (a: LeaseCandidate, b: LeaseCandidate) =>
  b.expiresAt.getTime() - a.expiresAt.getTime() || b.startedAt.getTime() - a.startedAt.getTime();

/** Session ids in first-seen order, once each (a session may have several lease rows). */
function sessionsOf(leases: LeaseCandidate[]): string[] {
  return [...new Set(leases.map((l) => l.sessionId))];
}

/**
 * Decides which visit a call belongs to from the leases on the dialled number around the call's
 * start (leases that covered it or ended at most the grace period before it). Never silent about
 * doubt: a visitor keeps seeing a number after their lease ends, so when the number's recent
 * holders include more than one visit, or a live lease is shared, the call is `ambiguous` with
 * every one of them as a candidate; `exact` only when one visit alone held it in that period.
 */
export function attributeCall<L extends LeaseCandidate>(
  leases: L[],
  callStart: Date,
  opts: { graceSeconds?: number } = {},
): AttributionDecision<L> {
  const at = callStart.getTime();
  const earliest = opts.graceSeconds === undefined ? -Infinity : at - opts.graceSeconds * 1000;
  const recent = leases
    .filter((l) => l.startedAt.getTime() <= at && l.expiresAt.getTime() >= earliest)
    .sort(byNewestEnd);
  const live = recent.filter((l) => l.expiresAt.getTime() >= at);
  const sessions = sessionsOf([...live, ...recent]);

  if (live.length > 0) {
    if (sessions.length === 1 && live.every((l) => !l.shared)) {
      return { confidence: 'exact', chosen: live[0], candidates: null };
    }
    // The exclusive holder had the number first; shared visitors were overflow.
    const chosen =
      live.find((l) => !l.shared) ??
      [...live].sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime())[0];
    return { confidence: 'ambiguous', chosen, candidates: sessions };
  }
  if (recent.length > 0) {
    return {
      confidence: 'expired',
      chosen: recent[0],
      candidates: sessions.length > 1 ? sessions : null,
    };
  }
  return { confidence: 'none', chosen: undefined, candidates: null };
}
