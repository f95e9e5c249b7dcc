import type { RequestHandler } from 'express';
import { RateLimitedError } from './errors';

/**
 * A per-IP fixed-window limit kept in this node's memory. With N nodes behind a balancer an IP
 * gets up to N× the limit, which is fine for its purpose: stopping one client from draining a pool.
 */
export function rateLimitPerIp(opts: { perMinute: number; now?: () => number }): RequestHandler {
  const now = opts.now ?? Date.now;
  const windows = new Map<string, { start: number; count: number }>();
  return (req, _res, next) => {
    const t = now();
    const key = req.ip ?? 'unknown';
    let w = windows.get(key);
    if (!w || t - w.start >= 60_000) {
      if (windows.size > 50_000) windows.clear();
      w = { start: t, count: 0 };
      windows.set(key, w);
    }
    w.count += 1;
    if (w.count > opts.perMinute) {
      return next(new RateLimitedError(Math.ceil((w.start + 60_000 - t) / 1000)));
    }
    next();
  };
}
