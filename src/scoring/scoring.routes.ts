import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { requireRole } from '../shared/auth';
import { parseInput } from '../shared/validation';
import type { ScoringService } from './scoring.service';

const siteQuery = z.object({ siteId: z.string().uuid('must be a site id') }).strict();
const isoDate = z
  .string()
  .refine((v) => Number.isFinite(Date.parse(v)), 'must be an ISO 8601 date')
  .transform((v) => new Date(v));
const rescoreBody = z
  .object({ siteId: z.string().uuid('must be a site id').optional(), since: isoDate })
  .strict();
const jobIdParam = z.string().uuid('must be a job id');

/** /api/v1/scoring-rules: a site's rules (read, replace) and rescoring after a change. */
export function scoringRoutes(scoring: ScoringService): Router {
  const r = Router();
  r.get('/scoring-rules', getRules);
  r.put('/scoring-rules', requireRole('admin'), putRules);
  r.post('/scoring-rules/rescore', requireRole('admin'), startRescore);
  r.get('/scoring-rules/rescore/:jobId', rescoreProgress);
  return r;

  async function getRules(req: Request, res: Response) {
    const { siteId } = parseInput(siteQuery, req.query, 'query');
    res.json(await scoring.getRules(siteId));
  }

  async function putRules(req: Request, res: Response) {
    const { siteId } = parseInput(siteQuery, req.query, 'query');
    res.json(await scoring.putRules(siteId, req.body));
  }

  async function startRescore(req: Request, res: Response) {
    const input = parseInput(rescoreBody, req.body);
    res.status(202).json(await scoring.startRescore(input));
  }

  async function rescoreProgress(req: Request, res: Response) {
    const jobId = parseInput(jobIdParam, req.params.jobId, 'job id');
    res.json(await scoring.rescoreProgress(jobId));
  }
}
