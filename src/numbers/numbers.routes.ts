import { Router, type Request, type Response } from 'express';
import { requireRole } from '../shared/auth';
import { parseInput, uuidParam } from '../shared/validation';
import type { NumbersService } from './numbers.service';
import { provisionSchema } from './numbers.schemas';

/** Admin API for tracking numbers and pool health; mounted behind authentication. */
export function numbersRoutes(numbers: NumbersService): Router {
  const r = Router();
  r.post('/campaigns/:id/numbers', requireRole('admin'), provisionNumbers);
  r.get('/campaigns/:id/numbers', listNumbers);
  r.get('/campaigns/:id/pool', poolHealth);
  r.delete('/numbers/:id', requireRole('admin'), releaseNumber);
  return r;

  async function provisionNumbers(req: Request, res: Response) {
    const id = parseInput(uuidParam, req.params.id, 'campaign id');
    const input = parseInput(provisionSchema, req.body);
    res.status(201).json(await numbers.provision(id, input));
  }
  async function listNumbers(req: Request, res: Response) {
    const id = parseInput(uuidParam, req.params.id, 'campaign id');
    res.json({ numbers: await numbers.listNumbers(id) });
  }
  async function poolHealth(req: Request, res: Response) {
    const id = parseInput(uuidParam, req.params.id, 'campaign id');
    res.json(await numbers.poolHealth(id));
  }
  async function releaseNumber(req: Request, res: Response) {
    const id = parseInput(uuidParam, req.params.id, 'number id');
    res.json(await numbers.release(id));
  }
}
