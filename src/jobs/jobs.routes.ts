import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { requireRole } from '../shared/auth';
import { parseInput, uuidParam } from '../shared/validation';
import type { JobQueue } from './queue';

const listQuery = z
  .object({ limit: z.coerce.number().int().min(1).max(500).default(100) })
  .strict();

/** Dead letters of the job queue: jobs whose retries are spent, and queuing one again. Admin only. */
export function jobsRoutes(queue: Pick<JobQueue, 'listDeadLetters' | 'retryDeadLetter'>): Router {
  const r = Router();
  r.get('/jobs/dead-letters', requireRole('admin'), listDeadLetters);
  r.post('/jobs/dead-letters/:id/retry', requireRole('admin'), retryDeadLetter);
  return r;

  async function listDeadLetters(req: Request, res: Response) {
    const q = parseInput(listQuery, req.query, 'query');
    res.json({ deadLetters: await queue.listDeadLetters(q.limit) });
  }

  async function retryDeadLetter(req: Request, res: Response) {
    const id = parseInput(uuidParam, req.params.id, 'dead letter id');
    res.status(202).json(await queue.retryDeadLetter(id));
  }
}
