import type { Request, RequestHandler, Response } from 'express';

/** One readiness check: resolves when healthy; a rejection (or timeout) marks it degraded. */
export type ReadinessCheck = () => Promise<void>;

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout(check: ReadinessCheck, ms: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timed out')), ms);
    check().then(
      () => {
        clearTimeout(t);
        resolve();
      },
      (err: unknown) => {
        clearTimeout(t);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/**
 * `GET /ready`: 200 when every check passes, else 503 naming what is degraded (e.g.
 * `{"status":"degraded","checks":{"database":"unreachable","queue":"ok"}}`). /health keeps its
 * own contract; this is for load balancers and the on-call engineer.
 */
export function readinessHandler(
  checks: Record<string, { check: ReadinessCheck; failed: string }>,
  timeoutMs = CHECK_TIMEOUT_MS,
): RequestHandler {
  return async function ready(req: Request, res: Response) {
    const names = Object.keys(checks);
    const results = await Promise.allSettled(
      names.map((n) => withTimeout(checks[n]?.check ?? (async () => undefined), timeoutMs)),
    );
    const out: Record<string, string> = {};
    let ok = true;
    results.forEach((r, i) => {
      const name = names[i] ?? String(i);
      if (r.status === 'fulfilled') out[name] = 'ok';
      else {
        ok = false;
        out[name] = checks[name]?.failed ?? 'failed';
        req.log?.warn({ err: r.reason, check: name }, 'readiness check failed');
      }
    });
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'degraded', checks: out });
  };
}
