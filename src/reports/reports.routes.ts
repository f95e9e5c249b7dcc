import { Router, type Request, type Response } from 'express';
import { parseInput } from '../shared/validation';
import type { AttributionReport } from './attribution.report';
import type { CallSummaryReport } from './call-summary.report';
import type { FollowUpReport } from './follow-ups.report';
import { attributionQuery, reportWindowQuery, summaryQuery } from './reports.schemas';

/** /api/v1/reports; mounted behind authentication (marketers and admins). */
export function reportsRoutes(reports: {
  followUps: FollowUpReport;
  attribution: AttributionReport;
  summary: CallSummaryReport;
}): Router {
  const r = Router();
  r.get('/reports/attribution', attributionReport);
  r.get('/reports/follow-ups', followUpReport);
  r.get('/reports/summary', summaryReport);
  return r;

  async function attributionReport(req: Request, res: Response) {
    const q = parseInput(attributionQuery, req.query, 'query');
    res.json(await reports.attribution.byGroup(q.groupBy, q));
  }
  async function followUpReport(req: Request, res: Response) {
    const q = parseInput(reportWindowQuery, req.query, 'query');
    res.json(await reports.followUps.byCampaign(q));
  }
  async function summaryReport(req: Request, res: Response) {
    const q = parseInput(summaryQuery, req.query, 'query');
    res.json(await reports.summary.summarize(q, q.timeZone));
  }
}
