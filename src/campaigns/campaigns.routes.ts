import { Router } from 'express';
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

  r.post('/sites', admin, async (req, res) => {
    const input = parseInput(createSiteSchema, req.body);
    res.status(201).json(await service.createSite(input));
  });
  r.get('/sites', async (_req, res) => {
    res.json({ sites: await service.listSites() });
  });
  r.get('/sites/:id', async (req, res) => {
    res.json(await service.getSite(parseInput(uuidParam, req.params.id, 'site id')));
  });
  r.patch('/sites/:id', admin, async (req, res) => {
    const id = parseInput(uuidParam, req.params.id, 'site id');
    res.json(await service.updateSite(id, parseInput(updateSiteSchema, req.body)));
  });

  r.post('/campaigns', admin, async (req, res) => {
    const input = parseInput(createCampaignSchema, req.body);
    res.status(201).json(await service.createCampaign(input));
  });
  r.get('/campaigns', async (req, res) => {
    const q = parseInput(listCampaignsQuery, req.query, 'query');
    res.json({ campaigns: await service.listCampaigns(q.siteId) });
  });
  r.get('/campaigns/:id', async (req, res) => {
    res.json(await service.getCampaign(parseInput(uuidParam, req.params.id, 'campaign id')));
  });
  r.patch('/campaigns/:id', admin, async (req, res) => {
    const id = parseInput(uuidParam, req.params.id, 'campaign id');
    res.json(await service.updateCampaign(id, parseInput(updateCampaignSchema, req.body)));
  });
  return r;
}
