import { Router, type Request, type Response } from 'express';
import { requireRole } from '../shared/auth';
import { parseInput, uuidParam } from '../shared/validation';
import type { AgentService } from './agents.service';
import { createAgentSchema, updateAgentSchema } from './agents.schemas';

/** /api/v1/agents; mounted behind authentication. Changing agents takes an admin key. */
export function agentsRoutes(agents: AgentService): Router {
  const r = Router();
  const admin = requireRole('admin');
  r.post('/agents', admin, createAgent);
  r.get('/agents', listAgents);
  r.get('/agents/:id', getAgent);
  r.patch('/agents/:id', admin, updateAgent);
  r.post('/agents/:id/token', admin, rotateToken);
  return r;

  async function createAgent(req: Request, res: Response) {
    res.status(201).json(await agents.create(parseInput(createAgentSchema, req.body)));
  }
  async function listAgents(_req: Request, res: Response) {
    res.json({ agents: await agents.list() });
  }
  async function getAgent(req: Request, res: Response) {
    res.json(await agents.get(parseInput(uuidParam, req.params.id, 'agent id')));
  }
  async function updateAgent(req: Request, res: Response) {
    const id = parseInput(uuidParam, req.params.id, 'agent id');
    res.json(await agents.update(id, parseInput(updateAgentSchema, req.body)));
  }
  async function rotateToken(req: Request, res: Response) {
    const id = parseInput(uuidParam, req.params.id, 'agent id');
    res.status(201).json(await agents.rotateToken(id));
  }
}
