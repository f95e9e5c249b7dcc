import { lookup as lookupZip } from 'zipcodes';
import { parseSimulateArgs } from '../scripts/simulate';
import {
  formatTable,
  judgeAttribution,
  summarize,
  type Verdict,
} from '../scripts/simulate/scoring';
import { poolTarget } from '../scripts/simulate/site';
import { buildVisits, planCallers, SITE_ORIGIN } from '../scripts/simulate/traffic';
import { mulberry32 } from '../src/demo/carrier/simulator';

const ACCOUNT_SID = `AC${'c0ffee00'.repeat(4)}`;

// The pure pieces of scripts/simulate.ts and scripts/simulate/; the script as a whole drives a
// running Leadline.
describe('npm run simulate: its pieces', () => {
  const defaults = {
    base: 'http://localhost:3000',
    publicBaseUrl: 'https://leadline.example.com/',
    authToken: 'token',
    accountSid: ACCOUNT_SID,
    adminKey: 'admin-key-from-env',
  };

  it('reads the command line over the configured defaults, and refuses nonsense', () => {
    expect(parseSimulateArgs([], defaults, () => 5)).toEqual({
      visitors: 200,
      calls: 50,
      base: 'http://localhost:3000',
      publicBaseUrl: 'https://leadline.example.com',
      adminKey: 'admin-key-from-env',
      authToken: 'token',
      accountSid: ACCOUNT_SID,
      duplicates: 0,
      reorder: false,
      seed: 5,
      maxPool: 300,
    });
    const args =
      '--visitors 20 --calls 5 --base http://127.0.0.1:4000/ --duplicates 1 --reorder --seed 9';
    expect(parseSimulateArgs(args.split(' '), defaults)).toMatchObject({
      visitors: 20,
      calls: 5,
      base: 'http://127.0.0.1:4000',
      duplicates: 1,
      reorder: true,
      seed: 9,
    });
    expect(() => parseSimulateArgs(['--visitors', '5', '--calls', '6'], defaults)).toThrow(
      /cannot exceed/,
    );
    expect(() => parseSimulateArgs(['--visitors', 'many'], defaults)).toThrow(/--visitors/);
    expect(() => parseSimulateArgs([], { ...defaults, adminKey: undefined })).toThrow(/admin/);
  });

  it('builds visits from several sources, each marked the way that source marks its links', () => {
    const visits = buildVisits(300, mulberry32(3));

    expect(buildVisits(300, mulberry32(3))).toEqual(visits);
    expect(new Set(visits.map((v) => v.source)).size).toBeGreaterThanOrEqual(6);
    for (const v of visits) {
      expect(v.landingUrl.startsWith(`${SITE_ORIGIN}/`)).toBe(true);
      expect(v.userAgent).not.toMatch(/bot|crawl|spider/i);
      const q = new URL(v.landingUrl).searchParams;
      if (v.source === 'google ads') expect(q.get('gclid')).toBeTruthy();
      if (v.source === 'facebook') expect(q.get('fbclid')).toBeTruthy();
      if (v.source === 'bing ads') expect(q.get('msclkid')).toBeTruthy();
      if (v.source === 'direct') expect(v.referrer).toBeUndefined();
    }
    expect(new Set(visits.map((v) => v.ip)).size).toBeGreaterThan(290);
  });

  it('picks distinct visitors to call, from distinct numbers in real ZIPs', () => {
    const callers = planCallers(200, 150, mulberry32(4));

    expect(callers).toHaveLength(150);
    expect(new Set(callers.map((c) => c.visit)).size).toBe(150);
    expect(new Set(callers.map((c) => c.from)).size).toBe(150);
    for (const c of callers) {
      expect(c.from).toMatch(/^\+1[2-9]\d{2}5550[1]\d{2}$/);
      expect(lookupZip(c.fromZip)).toBeDefined();
    }
    expect(new Set(callers.map((c) => c.outcome)).size).toBe(6);
  });

  it('sizes the pool for every visitor of the run plus headroom, in batches the API accepts', () => {
    expect(poolTarget({ size: 0, leasedNow: 0, recommendedSize: 2 }, 200, 300)).toEqual({
      target: 241,
      toBuy: [50, 50, 50, 50, 41],
    });
    expect(poolTarget({ size: 0, leasedNow: 0, recommendedSize: 2 }, 3, 300).target).toBe(10);
    expect(poolTarget({ size: 40, leasedNow: 0, recommendedSize: 60 }, 5, 300)).toEqual({
      target: 60,
      toBuy: [20],
    });
    expect(poolTarget({ size: 300, leasedNow: 150, recommendedSize: 2 }, 200, 300).toBuy).toEqual(
      [],
    );
  });

  it('counts only an exact attribution to another visitor, or a lost call, as a failure', () => {
    const who = { visitorId: 'v-1', sessionId: 's-1' };
    const verdicts = [
      judgeAttribution(who, { attribution: 'exact', visitorId: 'v-1', sessionId: 's-1' }),
      judgeAttribution(who, { attribution: 'expired', visitorId: 'v-1' }),
      judgeAttribution(who, { attribution: 'ambiguous', visitorId: null }),
      judgeAttribution(who, { attribution: 'none' }),
    ];
    expect(verdicts).toEqual(['tied', 'tied', 'ambiguous', 'unattributed']);
    expect(summarize(verdicts)).toEqual({
      line: 'attribution: 2/4 calls tied to the visitor who placed them (50.0%), 1 ambiguous (flagged), 0 wrong, 1 unattributed',
      exitCode: 0,
    });
    expect(summarize(Array<Verdict>(50).fill('tied'))).toEqual({
      line: 'attribution: 50/50 calls tied to the visitor who placed them (100.0%), 0 ambiguous (flagged), 0 wrong',
      exitCode: 0,
    });
    const wrong = judgeAttribution(who, {
      attribution: 'exact',
      visitorId: 'v-2',
      sessionId: 's-2',
    });
    expect(wrong).toBe('wrong');
    expect(summarize(['tied', wrong]).exitCode).toBe(1);
    expect(summarize(['tied', judgeAttribution(who, null)]).exitCode).toBe(1);
  });

  it('prints a table with aligned columns', () => {
    expect(
      formatTable(
        ['#', 'result'],
        [
          ['1', 'ok'],
          ['10', 'WRONG'],
        ],
      ),
    ).toBe(['#   result', '--  ------', '1   ok', '10  WRONG'].join('\n'));
  });
});
