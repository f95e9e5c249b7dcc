import { Router, type Request, type Response } from 'express';
import { parseInput } from '../shared/validation';
import type { FollowUpReport } from './follow-ups.report';
import { reportWindowQuery } from './reports.schemas';

/** /api/v1/reports; mounted behind authentication (marketers and admins). */
export function reportsRoutes(followUps: FollowUpReport): Router {
  const r = Router();
  r.get('/reports/follow-ups', followUpReport);
  return r;

  async function followUpReport(req: Request, res: Response) {
    const q = parseInput(reportWindowQuery, req.query, 'query');
    res.json(await followUps.byCampaign(q));
  }
}
