import { Router, type Request, type Response } from 'express';
import { requireRole } from '../shared/auth';
import { parseInput } from '../shared/validation';
import type { ErasureService } from './erasure';
import { callerParam, erasureListQuery } from './privacy.schemas';

/** Erasure of a caller and its audit log. Admin only. */
export function privacyRoutes(erasure: ErasureService): Router {
  const r = Router();
  r.delete('/privacy/callers/:e164', requireRole('admin'), eraseCaller);
  r.get('/privacy/erasures', requireRole('admin'), listErasures);
  return r;

  async function eraseCaller(req: Request, res: Response) {
    const e164 = parseInput(callerParam, req.params.e164, 'caller number');
    const { id, touched } = await erasure.eraseCaller(e164, req.principal?.keyId ?? 'unknown');
    res.json({ id, touched });
  }

  async function listErasures(req: Request, res: Response) {
    const q = parseInput(erasureListQuery, req.query, 'query');
    res.json({ erasures: await erasure.listErasures(q.limit) });
  }
}
