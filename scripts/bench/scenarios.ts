import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { AppContext } from '../../src/context';
import { createCarrierSimulator } from '../../src/demo/carrier/simulator';
import { DEMO_TWILIO_ACCOUNT_SID, DEMO_TWILIO_AUTH_TOKEN } from '../../src/shared/config';

/** What autocannon sends for one row; built in the load process from what seed() returned. */
export interface BenchRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  /** A fresh body per request (e.g. a new visitor each time). */
  body?: () => string;
  /** A fresh body and headers per request (e.g. a signed webhook for a new call). */
  next?: () => { body: string; headers: Record<string, string> };
}

export interface Scenario {
  name: string;
  /** Runs inside the Leadline process before the load starts; returns plain JSON. */
  seed(ctx: AppContext): Promise<unknown>;
  request(seeded: unknown): BenchRequest;
  /** How many requests of this row overflowed (shared a number) instead of leasing one. */
  overflow?(ctx: AppContext, seeded: unknown): Promise<number>;
}

/** The per-IP DNI rate limit the bench target runs with (one load client, one address). */
export const BENCH_DNI_RATE_LIMIT = 100_000_000;

/**
 * New-lease rows measure leasing, not overflow: their campaigns hold a number for 0 s (instead of
 * 1,800), so every request takes a real lease (pick, session, lease history) from a pool that
 * never runs out, whatever the request rate.
 */
export const NEW_LEASE_HOLD_SECONDS = 0;

const BENCH_ORIGIN = 'https://bench.leadline.test';
/**
 * The bench target's PUBLIC_BASE_URL: webhooks are signed for it. Like a production address it
 * names no port (twilio's signature check tries the URL without a port first).
 */
export const BENCH_PUBLIC_URL = 'https://leadline.bench.test';

async function benchCampaign(ctx: AppContext, name: string, poolSize: number, holdSeconds = 1800) {
  const site = await ctx.campaigns.createSite({
    name,
    allowedOrigins: [BENCH_ORIGIN],
    swapTargets: ['+14155550100'],
  });
  const campaign = await ctx.campaigns.createCampaign({
    name: `${name} default`,
    siteId: site.id,
    match: {},
    holdSeconds,
    fallbackNumber: '+14155550199',
    overflow: 'share_lru',
    recordCalls: false,
  });
  // Demo provisioning buys up to 50 per call (and has only so many fictional numbers): larger
  // pools are written straight into the table, as numbers bought earlier would be.
  if (poolSize <= 50) await ctx.numbers.provision(campaign.id, { count: poolSize, kind: 'pool' });
  else {
    await ctx.database.rows(sql`
      insert into tracking_numbers (campaign_id, e164, kind, demo)
      select ${campaign.id}::uuid, '+1' || (2000000000 + g)::text, 'pool', true
      from generate_series(1, ${poolSize}::int) g`);
    await ctx.database.rows(sql`analyze tracking_numbers`);
  }
  return { site, campaign };
}

const visitBody = (siteKey: string, visitorId?: string) =>
  JSON.stringify({
    siteKey,
    ...(visitorId ? { visitorId } : {}),
    landingUrl: `${BENCH_ORIGIN}/?utm_source=google&utm_medium=cpc&gclid=${randomBytes(4).toString('hex')}`,
    referrer: 'https://www.google.com/',
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120 Safari/537.36',
  });

/** A fresh visitor per request: every request is a new lease on a pool of `poolSize`. */
function newLeaseScenario(name: string, poolSize: number): Scenario {
  return {
    name,
    async seed(ctx) {
      const { site, campaign } = await benchCampaign(ctx, name, poolSize, NEW_LEASE_HOLD_SECONDS);
      return { siteKey: site.siteKey, campaignId: campaign.id };
    },
    request(seeded) {
      const { siteKey } = seeded as { siteKey: string };
      return {
        method: 'POST',
        path: '/dni/v1/sessions',
        headers: { origin: BENCH_ORIGIN },
        body: () => visitBody(siteKey),
      };
    },
    async overflow(ctx, seeded) {
      const { campaignId } = seeded as { campaignId: string };
      const [row] = await ctx.database.rows<{ n: number }>(
        sql`select count(*)::int as n from pool_exhaustion_events where campaign_id = ${campaignId}::uuid`,
      );
      return row?.n ?? 0;
    },
  };
}

/** Every Leadline endpoint under benchmark, in the order they are measured. */
export const scenarios: Scenario[] = [
  {
    name: 'GET /health',
    seed: async () => null,
    request: () => ({ method: 'GET', path: '/health' }),
  },
  newLeaseScenario('dni new lease', 50),
  newLeaseScenario('dni new lease (5,000 numbers)', 5000),
  {
    // Returning visitors renewing the number they hold (the bulk of real DNI traffic): 40
    // visitors leased at seed time on a 50-number pool with the usual 1,800 s hold.
    name: 'dni renewal',
    async seed(ctx) {
      const { site, campaign } = await benchCampaign(ctx, 'bench dni renewal', 50);
      const visitors: string[] = [];
      for (let i = 0; i < 40; i++) {
        const { body } = await ctx.dni.startSession(
          { siteKey: site.siteKey, landingUrl: `${BENCH_ORIGIN}/` },
          BENCH_ORIGIN,
        );
        if (body.visitorId) visitors.push(body.visitorId);
      }
      return { siteKey: site.siteKey, campaignId: campaign.id, visitors };
    },
    request(seeded) {
      const { siteKey, visitors } = seeded as { siteKey: string; visitors: string[] };
      let i = 0;
      return {
        method: 'POST',
        path: '/dni/v1/sessions',
        headers: { origin: BENCH_ORIGIN },
        body: () => visitBody(siteKey, visitors[i++ % visitors.length]),
      };
    },
    async overflow(ctx, seeded) {
      const { campaignId } = seeded as { campaignId: string };
      const [row] = await ctx.database.rows<{ n: number }>(
        sql`select count(*)::int as n from pool_exhaustion_events where campaign_id = ${campaignId}::uuid`,
      );
      return row?.n ?? 0;
    },
  },
  {
    // A signed incoming call to a number a visitor holds: signature, attribution, routing, TwiML.
    name: 'voice webhook',
    async seed(ctx) {
      const { site } = await benchCampaign(ctx, 'bench voice', 40);
      const held: string[] = [];
      for (let i = 0; i < 30; i++) {
        const { body } = await ctx.dni.startSession(
          {
            siteKey: site.siteKey,
            landingUrl: `${BENCH_ORIGIN}/?utm_source=google&utm_medium=cpc`,
          },
          BENCH_ORIGIN,
        );
        if (body.number) held.push(body.number.e164);
      }
      return { held };
    },
    request(seeded) {
      const { held } = seeded as { held: string[] };
      const carrier = createCarrierSimulator({
        publicBaseUrl: BENCH_PUBLIC_URL,
        authToken: DEMO_TWILIO_AUTH_TOKEN,
        accountSid: DEMO_TWILIO_ACCOUNT_SID,
      });
      let i = 0;
      return {
        method: 'POST',
        path: '/twilio/voice',
        next: () => {
          const to = held[i++ % held.length] ?? '+14155550100';
          const from = `+1303555${String(1000 + (i % 9000)).padStart(4, '0')}`;
          const { voice } = carrier.planCall({ from, to, outcome: 'answered', fromZip: '80202' });
          return { body: voice.body, headers: voice.headers };
        },
      };
    },
  },
];
