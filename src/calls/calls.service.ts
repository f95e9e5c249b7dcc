import { NotFoundError } from '../shared/errors';
import type { BlockList } from './block-list';
import type { AttributionGroup, CallFilter, CallRow, CallsRepo } from './calls.repo';

/** A call's score as the scoring feature reports it (the `score` field of the calls API). */
export interface CallScore {
  score: number;
  qualified: boolean;
  label: string;
  explanation: { rule: string; points: number; facts: Record<string, unknown> }[];
  rulesVersion: number;
}
/** Looks up the scores of some calls; the scoring feature provides it. */
export type ScoresOf = (callSids: string[]) => Promise<Map<string, CallScore>>;

export interface ScoreFilter {
  label?: string;
  qualified?: boolean;
}

/** How many calls one list request may read to fill a page filtered by score. */
const SCORE_FILTER_SCAN = 2000;

/** Reading calls (list, one call with its legs and events) and managing the block list. */
export function createCallService(deps: {
  repo: CallsRepo;
  blockList: BlockList;
  scores?: ScoresOf;
  /** Each call's Salesforce sync state; the Salesforce feature provides it. */
  salesforce?: (callSids: string[]) => Promise<Map<string, unknown>>;
}) {
  const { repo, blockList } = deps;
  const scoresOf: ScoresOf = deps.scores ?? (async () => new Map());

  /**
   * Calls with their scores. With a score filter, pages of calls are read and filtered until the
   * page is full or SCORE_FILTER_SCAN calls were read; `scannedTo` is where the next page starts.
   */
  async function listScored(filter: CallFilter, by: ScoreFilter) {
    if (by.label === undefined && by.qualified === undefined) {
      const rows = await repo.listCalls(filter);
      const scores = await scoresOf(rows.map((r) => r.callSid));
      return { rows: rows.map((call) => ({ call, score: scores.get(call.callSid) ?? null })) };
    }
    const out: { call: CallRow; score: CallScore | null }[] = [];
    let cursor = filter.cursor;
    let scanned = 0;
    let scannedTo: CallRow | undefined;
    const batch = Math.max(filter.limit, 100);
    while (out.length < filter.limit && scanned < SCORE_FILTER_SCAN) {
      const rows = await repo.listCalls({ ...filter, cursor, limit: batch });
      const scores = await scoresOf(rows.map((r) => r.callSid));
      for (const call of rows) {
        scanned++;
        scannedTo = call;
        const score = scores.get(call.callSid) ?? null;
        const keep =
          score !== null &&
          (by.label === undefined || score.label === by.label) &&
          (by.qualified === undefined || score.qualified === by.qualified);
        if (keep) out.push({ call, score });
        if (out.length === filter.limit) break;
      }
      const last = rows[rows.length - 1];
      if (rows.length < batch || !last) return { rows: out };
      cursor = { startedAt: last.startedAt, callSid: last.callSid };
    }
    return { rows: out, scannedTo: out.length < filter.limit ? scannedTo : undefined };
  }

  return {
    listCalls: (filter: CallFilter): Promise<CallRow[]> => repo.listCalls(filter),
    listScored,
    /** The Salesforce sync state of some calls (absent: not synced, or no Salesforce feature). */
    salesforceOf: (callSids: string[]) => (deps.salesforce ?? (async () => new Map()))(callSids),

    /** Reports: per-group call totals over a window, with the revenue credited to each call. */
    attributionTotals: (
      groupBy: AttributionGroup,
      window: { since: Date; until: Date },
      credited: { callSid: string; revenue: number; wonDeals: number }[],
    ) => repo.attributionTotals(groupBy, window, credited),

    /** One call's row, or undefined: what other features (scoring) read a call through. */
    findCall: (callSid: string): Promise<CallRow | undefined> => repo.findCall(callSid),

    async getCall(callSid: string) {
      const call = await repo.findCall(callSid);
      if (!call) throw new NotFoundError('call', 'call_not_found');
      const legs = await repo.childLegs(callSid);
      const events = await repo.eventsOf([callSid, ...legs.map((l) => l.callSid)]);
      const score = (await scoresOf([callSid])).get(callSid) ?? null;
      return { call, legs, events, score };
    },

    /** Privacy: removes the personal data of a caller's (or old) calls; see the repo method. */
    forgetCallerData: (
      scope: Parameters<CallsRepo['forgetCallerData']>[0],
      linked: Parameters<CallsRepo['forgetCallerData']>[1],
    ) => repo.forgetCallerData(scope, linked),

    listBlocked: () => blockList.list(),
    block: (pattern: string, reason: string | null) => blockList.add(pattern, reason),
    unblock: (id: string) => blockList.remove(id),
  };
}
export type CallService = ReturnType<typeof createCallService>;
