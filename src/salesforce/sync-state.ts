import type { SyncRepo, SyncRow } from './sync.repo';

/** What the calls API shows of a call's sync. */
export interface CallSalesforceState {
  state: 'pending' | 'retrying' | 'synced' | 'dead' | 'not_configured';
  taskId?: string;
  whoId?: string;
  matchRule?: string;
  error?: string;
}

/** A call's sync row as the calls API shows it; pending calls wait as not_configured without Salesforce. */
export function stateOf(r: SyncRow, configured: boolean): CallSalesforceState {
  const state =
    r.state === 'pending'
      ? !configured
        ? 'not_configured'
        : r.attempts > 0
          ? 'retrying'
          : 'pending'
      : r.state;
  return {
    state,
    ...(r.taskId ? { taskId: r.taskId } : {}),
    ...(r.whoId ? { whoId: r.whoId } : {}),
    ...(r.matchRule ? { matchRule: r.matchRule } : {}),
    ...(r.lastError && r.state !== 'synced' ? { error: r.lastError } : {}),
  };
}

/** Counts by state and the newest dead letters (`GET /api/v1/salesforce/sync`). */
export async function syncStatus(repo: SyncRepo, configured: boolean, limit: number) {
  const counts: Record<string, number> = { pending: 0, retrying: 0, synced: 0, dead: 0 };
  for (const c of await repo.counts()) {
    const key =
      c.state === 'pending'
        ? !configured
          ? 'not_configured'
          : c.retrying
            ? 'retrying'
            : 'pending'
        : c.state;
    counts[key] = (counts[key] ?? 0) + c.n;
  }
  const dead = await repo.deadLetters(limit);
  return {
    state: configured ? 'running' : 'not_configured',
    counts,
    deadLetters: dead.map((d) => ({
      callSid: d.callSid,
      errorCode: d.lastErrorCode,
      error: d.lastError,
      attempts: d.attempts,
      deadAt: d.deadAt,
    })),
  };
}

/** Each call's sync state, for the calls API. */
export async function statesOf(
  repo: SyncRepo,
  configured: boolean,
  callSids: string[],
): Promise<Map<string, CallSalesforceState>> {
  const rows = await repo.statesOf(callSids);
  return new Map(rows.map((r) => [r.callSid, stateOf(r, configured)]));
}
