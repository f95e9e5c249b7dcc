import { randomBytes } from 'node:crypto';
import type { AppContext } from '../../src/context';

/** What autocannon sends for one row; built in the load process from what seed() returned. */
export interface BenchRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  /** A fresh body per request (e.g. a new visitor each time). */
  body?: () => string;
}

export interface Scenario {
  name: string;
  /** Runs inside the Leadline process before the load starts; returns plain JSON. */
  seed(ctx: AppContext): Promise<unknown>;
  request(seeded: unknown): BenchRequest;
}

const BENCH_ORIGIN = 'https://bench.leadline.test';

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
      const site = await ctx.campaigns.createSite({
        name: 'bench',
        allowedOrigins: [BENCH_ORIGIN],
        swapTargets: ['+14155550100'],
      });
      const campaign = await ctx.campaigns.createCampaign({
        name: 'bench default',
        siteId: site.id,
        match: {},
        holdSeconds: 1800,
        fallbackNumber: '+14155550199',
        overflow: 'share_lru',
        recordCalls: false,
      });
      await ctx.numbers.provision(campaign.id, { count: 50, kind: 'pool' });
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
];
