import { randomBytes } from 'node:crypto';
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
}

const BENCH_ORIGIN = 'https://bench.leadline.test';
/** The bench target's PUBLIC_BASE_URL: webhooks are signed for it. */
export const BENCH_PUBLIC_URL = 'http://127.0.0.1:1';

async function benchCampaign(ctx: AppContext, name: string, poolSize: number) {
  const site = await ctx.campaigns.createSite({
    name,
    allowedOrigins: [BENCH_ORIGIN],
    swapTargets: ['+14155550100'],
  });
  const campaign = await ctx.campaigns.createCampaign({
    name: `${name} default`,
    siteId: site.id,
    match: {},
    holdSeconds: 1800,
    fallbackNumber: '+14155550199',
    overflow: 'share_lru',
    recordCalls: false,
  });
  await ctx.numbers.provision(campaign.id, { count: poolSize, kind: 'pool' });
  return { site, campaign };
}

/** Every Leadline endpoint under benchmark, in the order they are measured. */
export const scenarios: Scenario[] = [
  {
    name: 'GET /health',
    seed: async () => null,
    request: () => ({ method: 'GET', path: '/health' }),
  },
  {
    // A realistic mix: most requests renew a returning visitor's lease, some start a new visit.
    name: 'POST /dni/v1/sessions',
    async seed(ctx) {
      const { site } = await benchCampaign(ctx, 'bench dni', 50);
      return { siteKey: site.siteKey };
    },
    request(seeded) {
      const { siteKey } = seeded as { siteKey: string };
      const returning: string[] = [];
      return {
        method: 'POST',
        path: '/dni/v1/sessions',
        headers: { origin: BENCH_ORIGIN },
        body: () => {
          const renew = returning.length > 20 && Math.random() < 0.8;
          const visitorId = renew
            ? returning[Math.floor(Math.random() * returning.length)]
            : `bench_${randomBytes(8).toString('hex')}`;
          if (!renew && visitorId) returning.push(visitorId);
          if (returning.length > 200) returning.shift();
          return JSON.stringify({
            siteKey,
            visitorId,
            landingUrl: `${BENCH_ORIGIN}/?utm_source=google&utm_medium=cpc&gclid=${randomBytes(4).toString('hex')}`,
            referrer: 'https://www.google.com/',
            userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120 Safari/537.36',
          });
        },
      };
    },
  },
  {
    // A signed incoming call to a number a visitor holds: signature, attribution, routing, TwiML.
    name: 'POST /twilio/voice',
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
