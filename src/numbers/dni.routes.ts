import { Router, type NextFunction, type Request, type Response } from 'express';
import cors from 'cors';
import { rateLimitPerIp } from '../shared/rate-limit';
import { MALFORMED_JSON, smallBody } from '../shared/small-body';
import { parseInput } from '../shared/validation';
import type { DniService } from './dni.service';
import { sessionRequestSchema } from './numbers.schemas';

/** Public DNI endpoint: the session/lease call dni.js makes (dni.js itself: dni-script.routes). */
export function dniRoutes(dni: DniService, opts: { ratePerMinute: number }): Router {
  const r = Router();

  // Preflight carries no site key, so it cannot be checked here: the origin is reflected, and
  // the POST itself is refused (403, nothing written) unless its Origin is one of the site's.
  const sessionCors = cors({
    origin: true,
    methods: ['POST'],
    allowedHeaders: ['Content-Type'],
    maxAge: 86_400,
  });
  r.options('/dni/v1/sessions', sessionCors);
  r.post(
    '/dni/v1/sessions',
    rateLimitPerIp({ perMinute: opts.ratePerMinute }),
    // sendBeacon can only send text/plain, so JSON arrives under that type too.
    smallBody({
      types: ['application/json', 'text/plain'],
      limit: 16 * 1024,
      parse: JSON.parse,
      malformed: MALFORMED_JSON,
    }),
    startSession,
  );
  return r;

  async function startSession(req: Request, res: Response, next: NextFunction) {
    const origin = req.get('origin');
    const input = parseInput(sessionRequestSchema, req.body);
    const { body } = await dni.startSession(input, origin, req.ip);
    // CORS headers only once the service has accepted the origin: a refused one gets none.
    sessionCors(req, res, (err?: unknown) => {
      if (err) return next(err);
      res.setHeader('Cache-Control', 'no-store');
      res.json(body);
    });
  }
}
