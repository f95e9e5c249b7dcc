import type { Request, RequestHandler } from 'express';
import { rateLimit, type RateLimitInfo } from 'express-rate-limit';
import { RateLimitedError } from './errors';

/**
 * A per-IP limit per minute (express-rate-limit, memory store). The counts live in this node's
 * memory, so with N nodes behind a balancer one IP gets up to N× `perMinute`: fine for its
 * purpose, which is to stop one client draining a number pool, and it needs no shared store.
 */
export function rateLimitPerIp(opts: { perMinute: number }): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: opts.perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // Refusals go through the one error middleware, so they answer in the project's error shape.
    handler: function refuseOverLimit(req, _res, next) {
      const info = (req as Request & { rateLimit?: RateLimitInfo }).rateLimit;
      const resetAt = info?.resetTime?.getTime() ?? Date.now() + 60_000;
      next(new RateLimitedError(Math.max(1, Math.ceil((resetAt - Date.now()) / 1000))));
    },
  });
}
