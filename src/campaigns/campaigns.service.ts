import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { systemClock, type Clock } from '../shared/clock';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors';
import type { CampaignMatch } from '../../db/schema';
import type { CampaignRow, CampaignsRepo, SiteRow } from './campaigns.repo';
import type {
  CreateCampaignInput,
  CreateSiteInput,
  UpdateCampaignInput,
  UpdateSiteInput,
} from './campaigns.schemas';

/** How long a cached campaign read may be served (another node's write shows up within it). */
const CACHE_MS = 5_000;

const isDefaultMatch = (m: CampaignMatch) => Object.values(m).every((v) => v === undefined);

export interface CampaignServiceDeps {
  repo: CampaignsRepo;
  clock?: Clock;
  /**
   * Which of these numbers are Leadline tracking numbers (the numbers feature answers; injected
   * because numbers depends on campaigns, not the reverse).
   */
  trackingNumbersAmong?: (e164s: string[]) => Promise<string[]>;
  /** Told of every campaign this node creates or changes (the number directory listens). */
  onCampaignChanged?: (campaign: CampaignRow) => void;
}

/**
 * Sites and their campaigns; keeps at most one default (empty-match) campaign per site, and never
 * lets a site's printed number or a campaign's fallback be one of Leadline's tracking numbers (a
 * visitor holding that number would see no swap, and calls to it would be credited to visits).
 */
export function createCampaignService(deps: CampaignServiceDeps) {
  const { repo } = deps;
  const clock = deps.clock ?? systemClock;
  // Bounded, and entries expire on the injected clock (ttlResolution 0: read it on every check).
  const cacheOptions = {
    max: 10_000,
    ttl: CACHE_MS,
    ttlResolution: 0,
    perf: { now: () => clock.now().getTime() },
  };
  /** Campaigns per site for the DNI hot path; cleared on every write on this node. */
  const bySiteCache = new LRUCache<string, CampaignRow[]>(cacheOptions);

  async function assertSingleDefault(siteId: string, match: CampaignMatch, exceptId?: string) {
    if (!isDefaultMatch(match)) return;
    const existing = (await repo.listCampaigns(siteId)).find(
      (c) => c.id !== exceptId && isDefaultMatch(c.match),
    );
    if (existing) {
      throw new ConflictError(
        `site already has a default campaign (${existing.id}); give this one a match`,
        'default_campaign_exists',
      );
    }
  }

  async function assertNotTracking(field: string, numbers: string[]) {
    if (!deps.trackingNumbersAmong || numbers.length === 0) return;
    const tracking = await deps.trackingNumbersAmong(numbers);
    if (tracking.length > 0) {
      const message = `${tracking.join(', ')} ${tracking.length > 1 ? 'are tracking numbers' : 'is a tracking number'} in a Leadline pool; use the business's own number`;
      throw new ValidationError(`invalid body: ${field}: ${message}`, [{ field, message }]);
    }
  }

  function changed(row: CampaignRow): CampaignRow {
    bySiteCache.delete(row.siteId);
    deps.onCampaignChanged?.(row);
    return row;
  }

  return {
    async createSite(input: CreateSiteInput): Promise<SiteRow> {
      await assertNotTracking('swapTargets', input.swapTargets);
      return repo.insertSite({ ...input, siteKey: `site_${randomBytes(9).toString('base64url')}` });
    },
    async updateSite(id: string, input: UpdateSiteInput): Promise<SiteRow> {
      if (input.swapTargets) await assertNotTracking('swapTargets', input.swapTargets);
      const row = await repo.updateSite(id, input);
      if (!row) throw new NotFoundError('site', 'site_not_found');
      return row;
    },
    listSites: () => repo.listSites(),
    async getSite(id: string): Promise<SiteRow> {
      const row = await repo.findSite(id);
      if (!row) throw new NotFoundError('site', 'site_not_found');
      return row;
    },
    findSiteByKey: (siteKey: string) => repo.findSiteByKey(siteKey),

    async createCampaign(input: CreateCampaignInput): Promise<CampaignRow> {
      if (!(await repo.findSite(input.siteId))) {
        throw new ValidationError(`invalid body: siteId: no site with id ${input.siteId}`, [
          { field: 'siteId', message: 'no such site' },
        ]);
      }
      await assertSingleDefault(input.siteId, input.match);
      await assertNotTracking('fallbackNumber', [input.fallbackNumber]);
      return changed(await repo.insertCampaign(input));
    },
    async updateCampaign(id: string, input: UpdateCampaignInput): Promise<CampaignRow> {
      const current = await repo.findCampaign(id);
      if (!current) throw new NotFoundError('campaign', 'campaign_not_found');
      if (input.match) await assertSingleDefault(current.siteId, input.match, id);
      if (input.fallbackNumber) await assertNotTracking('fallbackNumber', [input.fallbackNumber]);
      const row = await repo.updateCampaign(id, input);
      if (!row) throw new NotFoundError('campaign', 'campaign_not_found');
      return changed(row);
    },
    async getCampaign(id: string): Promise<CampaignRow> {
      const row = await repo.findCampaign(id);
      if (!row) throw new NotFoundError('campaign', 'campaign_not_found');
      return row;
    },
    listCampaigns: (siteId?: string) => repo.listCampaigns(siteId),

    /** Every site's printed numbers and every campaign's fallback: never to be bought into a pool. */
    async reservedNumbers(): Promise<Set<string>> {
      const [sites, campaigns] = await Promise.all([repo.listSites(), repo.listCampaigns()]);
      return new Set([
        ...sites.flatMap((s) => s.swapTargets),
        ...campaigns.map((c) => c.fallbackNumber),
      ]);
    },

    /** Live campaigns of a site, cached briefly: every DNI request needs them. */
    async campaignsForSite(siteId: string): Promise<CampaignRow[]> {
      const hit = bySiteCache.get(siteId);
      if (hit) return hit;
      const rows = await repo.listCampaigns(siteId);
      bySiteCache.set(siteId, rows);
      return rows;
    },
  };
}
export type CampaignService = ReturnType<typeof createCampaignService>;
