import { Router, type Request, type Response } from 'express';
import { parseInput } from '../shared/validation';
import type { AttributionReport } from './attribution.report';
import type { FollowUpReport } from './follow-ups.report';
import { attributionQuery, reportWindowQuery } from './reports.schemas';

/** /api/v1/reports; mounted behind authentication (marketers and admins). */
export function reportsRoutes(reports: {
  followUps: FollowUpReport;
  attribution: AttributionReport;
}): Router {
  const r = Router();
  r.get('/reports/attribution', attributionReport);
  r.get('/reports/follow-ups', followUpReport);
  return r;

  async function attributionReport(req: Request, res: Response) {
    const q = parseInput(attributionQuery, req.query, 'query');
    res.json(await reports.attribution.byGroup(q.groupBy, q));
  }
  async function followUpReport(req: Request, res: Response) {
    const q = parseInput(reportWindowQuery, req.query, 'query');
    res.json(await reports.followUps.byCampaign(q));
  }
}
