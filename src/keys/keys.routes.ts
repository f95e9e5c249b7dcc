import { Router, type Request, type Response } from 'express';
import { requireRole } from '../shared/auth';
import { parseInput, uuidParam } from '../shared/validation';
import type { KeyService } from './keys.service';
import { createKeyBody } from './keys.schemas';

/** API keys: list (no secrets), create (the key is shown once), revoke. Admin only. */
export function keysRoutes(keys: Pick<KeyService, 'list' | 'createKey' | 'revoke'>): Router {
  const r = Router();
  r.get('/keys', requireRole('admin'), listKeys);
  r.post('/keys', requireRole('admin'), createKey);
  r.delete('/keys/:id', requireRole('admin'), revokeKey);
  return r;

  async function listKeys(_req: Request, res: Response) {
    res.json({ keys: await keys.list() });
  }

  async function createKey(req: Request, res: Response) {
    const body = parseInput(createKeyBody, req.body);
    res.status(201).json(await keys.createKey(body.role, body.name, body.expiresAt ?? null));
  }

  async function revokeKey(req: Request, res: Response) {
    const id = parseInput(uuidParam, req.params.id, 'key id');
    res.json(await keys.revoke(id));
  }
}
