import { Router, type Request, type Response } from 'express';
import { requireRole } from '../shared/auth';
import { parseInput, uuidParam } from '../shared/validation';
import type { CampaignService } from './campaigns.service';
import {
  createCampaignSchema,
  createSiteSchema,
  listCampaignsQuery,
  updateCampaignSchema,
  updateSiteSchema,
} from './campaigns.schemas';

/** /api/v1/sites and /api/v1/campaigns; mounted behind authentication. */
export function campaignRoutes(service: CampaignService): Router {
  const r = Router();
  const admin = requireRole('admin');
  r.post('/sites', admin, createSite);
  r.get('/sites', listSites);
  r.get('/sites/:id', getSite);
  r.patch('/sites/:id', admin, updateSite);
  r.post('/campaigns', admin, createCampaign);
  r.get('/campaigns', listCampaigns);
  r.get('/campaigns/:id', getCampaign);
  r.patch('/campaigns/:id', admin, updateCampaign);
  return r;

  async function createSite(req: Request, res: Response) {
    const input = parseInput(createSiteSchema, req.body);
    res.status(201).json(await service.createSite(input));
  }
  async function listSites(_req: Request, res: Response) {
    res.json({ sites: await service.listSites() });
  }
  async function getSite(req: Request, res: Response) {
    res.json(await service.getSite(parseInput(uuidParam, req.params.id, 'site id')));
  }
  async function updateSite(req: Request, res: Response) {
    const id = parseInput(uuidParam, req.params.id, 'site id');
    res.json(await service.updateSite(id, parseInput(updateSiteSchema, req.body)));
  }
  async function createCampaign(req: Request, res: Response) {
    const input = parseInput(createCampaignSchema, req.body);
    res.status(201).json(await service.createCampaign(input));
  }
  async function listCampaigns(req: Request, res: Response) {
    const q = parseInput(listCampaignsQuery, req.query, 'query');
    res.json({ campaigns: await service.listCampaigns(q.siteId) });
  }
  async function getCampaign(req: Request, res: Response) {
    res.json(await service.getCampaign(parseInput(uuidParam, req.params.id, 'campaign id')));
  }
  async function updateCampaign(req: Request, res: Response) {
    const id = parseInput(uuidParam, req.params.id, 'campaign id');
    res.json(await service.updateCampaign(id, parseInput(updateCampaignSchema, req.body)));
  }
}
