// The simulated site in Leadline: its site, its default campaign and a pool big enough for a run.
import type { LeadlineClient } from './leadline-client';
import { SITE_ORIGIN } from './traffic';

export const SITE_NAME = 'Simulated traffic';
const SWAP_TARGET = '+14155550100';
const FALLBACK_NUMBER = '+14155550199';
/** The numbers API provisions at most this many numbers per request. */
const MAX_PROVISION_BATCH = 50;

interface Site {
  id: string;
  name: string;
  siteKey: string;
  allowedOrigins: string[];
  swapTargets: string[];
}
interface Campaign {
  id: string;
  match: Record<string, unknown>;
}

/** The "Simulated traffic" site and its default campaign, created on the first run. */
export async function ensureSiteAndCampaign(
  client: LeadlineClient,
): Promise<{ site: Site; campaign: Campaign }> {
  const sites = (await client.api<{ sites: Site[] }>('GET', '/sites')).body.sites;
  let site = sites.find((s) => s.name === SITE_NAME);
  if (!site) {
    site = (
      await client.api<Site>('POST', '/sites', {
        name: SITE_NAME,
        allowedOrigins: [SITE_ORIGIN],
        swapTargets: [SWAP_TARGET],
      })
    ).body;
  } else if (!site.allowedOrigins.includes(SITE_ORIGIN)) {
    site = (
      await client.api<Site>('PATCH', `/sites/${site.id}`, {
        allowedOrigins: [...site.allowedOrigins, SITE_ORIGIN],
      })
    ).body;
  }
  const campaigns = (
    await client.api<{ campaigns: Campaign[] }>('GET', `/campaigns?siteId=${site.id}`)
  ).body.campaigns;
  const campaign =
    campaigns.find((c) => Object.keys(c.match ?? {}).length === 0) ??
    (
      await client.api<Campaign>('POST', '/campaigns', {
        name: `${SITE_NAME} (default)`,
        siteId: site.id,
        match: {},
        fallbackNumber: FALLBACK_NUMBER,
      })
    ).body;
  return { site, campaign };
}

/**
 * How many numbers the pool needs for this run: every visitor of the run holds a lease at the same
 * time (the run is far shorter than the hold window), on top of the leases already out, with the
 * pool endpoint's own 20% headroom; never below what Leadline recommends, nor below 10.
 */
export function poolTarget(
  pool: { size: number; leasedNow: number; recommendedSize: number },
  visitors: number,
  maxPool: number,
): { target: number; toBuy: number[] } {
  const forRun = Math.ceil((pool.leasedNow + visitors) * 1.2) + 1;
  const target = Math.min(maxPool, Math.max(10, pool.recommendedSize, forRun));
  const batches: number[] = [];
  for (let missing = target - pool.size; missing > 0; missing -= MAX_PROVISION_BATCH) {
    batches.push(Math.min(missing, MAX_PROVISION_BATCH));
  }
  return { target, toBuy: batches };
}
