import { randomBytes } from 'node:crypto';
import type { AppContext } from '../../src/context';
import type { CreateCampaignInput, CreateSiteInput } from '../../src/campaigns/campaigns.schemas';

let seq = 0;
const unique = () => `${++seq}-${randomBytes(2).toString('hex')}`;

/** A fresh site per call. */
export function buildSite(ctx: AppContext, overrides: Partial<CreateSiteInput> = {}) {
  return ctx.campaigns.createSite({
    name: `Site ${unique()}`,
    allowedOrigins: ['https://www.example.com'],
    swapTargets: ['+14155550100'],
    ...overrides,
  });
}

/** A fresh campaign (and its site unless one is given). */
export async function buildCampaign(ctx: AppContext, overrides: Partial<CreateCampaignInput> = {}) {
  const siteId = overrides.siteId ?? (await buildSite(ctx)).id;
  return ctx.campaigns.createCampaign({
    name: `Campaign ${unique()}`,
    siteId,
    match: {},
    holdSeconds: 1800,
    fallbackNumber: '+14155550199',
    overflow: 'share_lru',
    recordCalls: false,
    ...overrides,
  });
}

/** Buys `count` pool numbers for a campaign through the numbers service (and Twilio's stand-in). */
export async function buildPool(
  ctx: AppContext,
  campaignId: string,
  count: number,
  opts: { areaCode?: string; kind?: 'pool' | 'source' } = {},
) {
  const result = await ctx.numbers.provision(campaignId, {
    count,
    kind: opts.kind ?? 'pool',
    ...(opts.areaCode ? { areaCode: opts.areaCode } : {}),
  });
  return result.numbers;
}
