import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { signTwilioRequest } from '../../src/shared/twilio';
import { PUBLIC_BASE_URL } from './carrier';
import { TEST_AUTH_TOKEN } from './twilio';
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

export const TEST_ORIGIN = 'https://www.example.com';

/** The repeated set-up: a site, a campaign on it and a pool of numbers (site + campaign + pool). */
export async function buildTrackedCampaign(
  ctx: AppContext,
  opts: {
    poolSize?: number;
    origin?: string;
    campaign?: Partial<CreateCampaignInput>;
    site?: Partial<CreateSiteInput>;
  } = {},
) {
  const site = await buildSite(ctx, {
    allowedOrigins: [opts.origin ?? TEST_ORIGIN],
    ...opts.site,
  });
  const campaign = await buildCampaign(ctx, { siteId: site.id, ...opts.campaign });
  const numbers = await buildPool(ctx, campaign.id, opts.poolSize ?? 1);
  return { site, campaign, numbers };
}

export interface HeldNumber {
  visitorId: string;
  sessionId: string;
  campaignId: string;
  number: { e164: string; national: string };
  expiresAt: string;
  shared: boolean;
}

/** A visitor holding a number: the swap script's POST /dni/v1/sessions, answered 200. */
export async function visitorHoldingNumber(
  app: Express,
  siteKey: string,
  visit: {
    origin?: string;
    landingUrl?: string;
    referrer?: string;
    userAgent?: string;
    visitorId?: string;
  } = {},
): Promise<HeldNumber> {
  const origin = visit.origin ?? TEST_ORIGIN;
  const res = await request(app)
    .post('/dni/v1/sessions')
    .set('Origin', origin)
    .send({
      siteKey,
      landingUrl: visit.landingUrl ?? `${origin}/?utm_source=google&utm_medium=cpc`,
      referrer: visit.referrer ?? '',
      userAgent: visit.userAgent ?? 'Mozilla/5.0 (Windows NT 10.0) Chrome/120',
      ...(visit.visitorId ? { visitorId: visit.visitorId } : {}),
    });
  if (res.status !== 200) {
    throw new Error(`POST /dni/v1/sessions answered ${res.status}: ${res.text}`);
  }
  return res.body as HeldNumber;
}

/** Posts one signed Twilio webhook to the app, as Twilio would (a call's webhooks, one by one). */
export function postSignedWebhook(app: Express, path: string, params: Record<string, string>) {
  return request(app)
    .post(path)
    .type('form')
    .set(
      'X-Twilio-Signature',
      signTwilioRequest(TEST_AUTH_TOKEN, `${PUBLIC_BASE_URL}${path}`, params),
    )
    .send(params);
}
