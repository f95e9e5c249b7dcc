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

/**
 * Decides which visit a call belongs to from the leases on the dialled number around the call's
 * start. Never silent about doubt: shared leases or several live ones make it `ambiguous`.
 */
export function attributeCall<L extends LeaseCandidate>(
  leases: L[],
  callStart: Date,
): AttributionDecision<L> {
  const at = callStart.getTime();
  const live = leases.filter((l) => l.startedAt.getTime() <= at && l.expiresAt.getTime() >= at);
  if (live.length === 1 && live[0] && !live[0].shared) {
    return { confidence: 'exact', chosen: live[0], candidates: null };
  }
  if (live.length > 0) {
    // The exclusive holder had the number first; shared visitors were overflow.
    const chosen =
      live.find((l) => !l.shared) ??
      [...live].sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime())[0];
    return { confidence: 'ambiguous', chosen, candidates: live.map((l) => l.sessionId) };
  }
  const ended = leases
    .filter((l) => l.expiresAt.getTime() < at)
    .sort((a, b) => b.expiresAt.getTime() - a.expiresAt.getTime());
  if (ended.length > 0) {
    return {
      confidence: 'expired',
      chosen: ended[0],
      candidates: ended.length > 1 ? ended.map((l) => l.sessionId) : null,
    };
  }
  return { confidence: 'none', chosen: undefined, candidates: null };
}
