import { Router, type Request, type Response } from 'express';
import { requireRole } from '../shared/auth';
import { parseInput } from '../shared/validation';
import { retryInput, revenueQuery } from './salesforce.schemas';
import type { SyncService } from './sync.service';

/** /api/v1/salesforce: the sync's state and its dead letters; mounted behind authentication. */
export function salesforceRoutes(sync: Pick<SyncService, 'status' | 'retry' | 'revenue'>): Router {
  const r = Router();
  r.get('/salesforce/revenue', getRevenue);
  r.get('/salesforce/sync', getSyncStatus);
  r.post('/salesforce/sync/retry', requireRole('admin'), retryDeadLetters);
  return r;

  async function getSyncStatus(_req: Request, res: Response) {
    res.json(await sync.status());
  }
  async function getRevenue(req: Request, res: Response) {
    const q = parseInput(revenueQuery, req.query, 'query');
    res.json(await sync.revenue(q.groupBy));
  }
  async function retryDeadLetters(req: Request, res: Response) {
    const input = parseInput(retryInput, req.body ?? {});
    res.json(await sync.retry(input.callSid));
  }
}
