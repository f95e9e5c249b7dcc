import { Router, type Request, type Response } from 'express';
import { requireRole } from '../shared/auth';
import { parseInput } from '../shared/validation';
import { callSidParam, dispositionInput } from './dispositions.schemas';
import type { DispositionService } from './dispositions.service';

/** PUT /api/v1/calls/:sid/disposition; mounted behind authentication, admin keys only. */
export function dispositionRoutes(dispositions: DispositionService): Router {
  const r = Router();
  r.put('/calls/:sid/disposition', requireRole('admin'), setDisposition);
  return r;

  async function setDisposition(req: Request, res: Response) {
    const sid = parseInput(callSidParam, req.params.sid, 'sid');
    const input = parseInput(dispositionInput, req.body);
    res.json({ callSid: sid, disposition: await dispositions.set(sid, input) });
  }
}
