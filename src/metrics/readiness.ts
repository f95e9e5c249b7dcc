import type { Request, RequestHandler, Response } from 'express';
import { withDeadline } from '../shared/deadline';

/** One readiness check: resolves when healthy; a rejection (or timeout) marks it degraded. */
export type ReadinessCheck = () => Promise<void>;

export interface ReadinessEntry {
  check: ReadinessCheck;
  /** What the check says when it fails, e.g. `unreachable`; `degraded` lists `<name> <failed>`. */
  failed: string;
  /**
   * Whether a failure makes the node unready (503). A non-critical one (the journal replaying)
   * is reported but keeps 200: after an outage every node replays at once, and taking them all
   * out of the load balancer would refuse the very webhooks they are able to journal.
   */
  critical?: boolean;
}

const CHECK_TIMEOUT_MS = 2_000;

/**
 * `GET /ready`: 200 `{"status":"ready"}` when every check passes; otherwise `status` is
 * `degraded` and `degraded` names what, e.g.
 * `{"status":"degraded","checks":{"database":"unreachable","queue":"ok","journal":"replaying"},
 * "degraded":["database unreachable","journal replaying"]}`, with 503 when a critical check
 * failed. /health keeps its own contract; this is for load balancers and the on-call engineer.
 */
export function readinessHandler(
  checks: Record<string, ReadinessEntry>,
  timeoutMs = CHECK_TIMEOUT_MS,
): RequestHandler {
  return async function ready(req: Request, res: Response) {
    const names = Object.keys(checks);
    const results = await Promise.allSettled(
      names.map((n) => withDeadline((checks[n]?.check ?? (async () => undefined))(), timeoutMs)),
    );
    const out: Record<string, string> = {};
    const degraded: string[] = [];
    let critical = false;
    results.forEach((r, i) => {
      const name = names[i] ?? String(i);
      const entry = checks[name];
      if (r.status === 'fulfilled') {
        out[name] = 'ok';
        return;
      }
      const failed = entry?.failed ?? 'failed';
      out[name] = failed;
      degraded.push(`${name} ${failed}`);
      if (entry?.critical !== false) critical = true;
      req.log?.warn({ err: r.reason, check: name }, 'readiness check failed');
    });
    res
      .status(critical ? 503 : 200)
      .json(
        degraded.length === 0
          ? { status: 'ready', checks: out }
          : { status: 'degraded', checks: out, degraded },
      );
  };
}

/** A check that fails while `backlog()` is above zero (webhooks not yet replayed from the journal). */
export function journalCheck(backlog: () => number): ReadinessCheck {
  return async () => {
    const n = backlog();
    if (n > 0) throw new Error(`${n} journaled webhooks not yet in the database`);
  };
}
