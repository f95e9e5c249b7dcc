// Salesforce sync against the Salesforce stand-in, both in this process: N scored calls are handed
// to the sync service in windows of 200 (as the sync window gathers them), each window flushed,
// and the row measures activities synced per second, each activity's latency from being queued
// to its window's flush ending, and errors = calls without exactly one Task. The output line gives
// the API requests per 200 activities (DESIGN: ≤ 5, reads and writes together).
// Used by `npm run bench`; `tsx scripts/bench-salesforce.ts [N] [--failures]` runs it alone
// (`--failures` injects a rate limit and a timeout after a write; errors then count duplicates).
import { randomBytes } from 'node:crypto';
import { benchDatabaseUrl } from './bench/database';
import type { CallRow } from '../src/calls/calls.repo';
import type { CallScore } from '../src/calls/calls.service';
import { deployMetadata } from '../src/salesforce/deploy';
import { createSalesforceClient } from '../src/salesforce/salesforce.client';
import { createSyncRepo } from '../src/salesforce/sync.repo';
import { createSyncService } from '../src/salesforce/sync.service';
import { openDatabase } from '../src/shared/db';
import { createLogger } from '../src/shared/logger';
import { startSalesforceStandin } from '../src/demo/salesforce/standin';
import { percentile, type MicroRow } from './bench/stats';

const WINDOW = 200;

/** Its own PostgreSQL database under DATABASE_URL (dropped after), or PGlite in memory. */
async function freshDatabase() {
  const { url, drop } = await benchDatabaseUrl('sf');
  return { database: await openDatabase(url ? { url } : { dataDir: null }), drop };
}

/** Syncs `n` activities; returns the row and the API requests per 200 activities. */
export async function benchSalesforce(opts: { activities?: number; failures?: boolean } = {}) {
  const n = opts.activities ?? 1000;
  const sf = await startSalesforceStandin();
  const { database, drop } = await freshDatabase();
  try {
    const settings = {
      instanceUrl: sf.url,
      accessToken: 'initial-token',
      apiVersion: '60.0',
      // Short, so an injected timeout costs half a second rather than the production default.
      timeoutMs: opts.failures ? 500 : 10_000,
    };
    await deployMetadata(createSalesforceClient(settings));
    let skippedMs = 0;
    const calls = new Map<string, CallRow>();
    const score: CallScore = {
      score: 82,
      qualified: true,
      label: 'hot',
      explanation: [],
      rulesVersion: 0,
    };
    const sync = createSyncService({
      repo: createSyncRepo(database.db),
      api: createSalesforceClient(settings),
      calls: { findCall: async (sid) => calls.get(sid) },
      scores: async (sids) => new Map(sids.map((s) => [s, score])),
      campaigns: {
        getCampaign: async () => ({ name: 'Bench', salesforceCampaignId: '701000000000001AAA' }),
      },
      // Moved forward past a retry's backoff when a window still has calls pending.
      clock: { now: () => new Date(Date.now() + skippedMs) },
      log: createLogger('silent'),
      publicBaseUrl: 'https://leadline.test',
      // The bench flushes each window itself; the timer never fires.
      windowMs: 3_600_000,
    });
    // A third of the callers are known Contacts, the rest are new (each gets a Lead).
    const sids: string[] = [];
    for (let i = 0; i < n; i++) {
      const callSid = `CA${randomBytes(16).toString('hex')}`;
      const fromNumber = `+1312${String(5_000_000 + i).padStart(7, '0')}`;
      if (i % 3 === 0) sf.insert('Contact', { LastName: `Known ${i}`, Phone: fromNumber });
      calls.set(callSid, {
        callSid,
        fromNumber,
        toNumber: '+14155550100',
        campaignId: 'c0ffee00-0000-4000-8000-000000000001',
        attribution: 'exact',
        status: 'completed',
        outcome: 'answered',
        startedAt: new Date(),
        durationSeconds: 125,
        talkSeconds: 120,
        firstTime: true,
        source: 'google',
        medium: 'cpc',
        keyword: 'plumber near me',
        landingUrl: 'https://www.example.com/?utm_source=google',
      } as CallRow);
      sids.push(callSid);
    }

    const requestsBefore = sf.requests.length;
    const latencies: number[] = [];
    let busyMs = 0;
    for (let k = 0; k < sids.length; k += WINDOW) {
      const window = sids.slice(k, k + WINDOW);
      const t0 = performance.now();
      const queuedAt: number[] = [];
      for (const sid of window) {
        queuedAt.push(performance.now());
        await sync.callScored(sid);
      }
      // With failures on: a rate limit on one window's first collection, a timeout after the
      // write on another's; the retries must still leave exactly one Task per call.
      if (opts.failures && k === WINDOW) sf.failNext({ kind: 'limit' }, /POST \/composite/);
      if (opts.failures && k === 2 * WINDOW) {
        sf.failNext({ kind: 'timeout-after-write' }, /POST \/composite/);
      }
      await sync.flush();
      for (let tries = 0; tries < 10; tries++) {
        const states = await sync.statesOf(window);
        if ([...states.values()].every((st) => st.state === 'synced' || st.state === 'dead')) break;
        skippedMs += 3_600_000;
        await sync.flush();
      }
      const t1 = performance.now();
      busyMs += t1 - t0;
      for (const q of queuedAt) latencies.push(t1 - q);
    }
    const sent = sf.requests.slice(requestsBefore);
    const requests = sent.length;
    const kinds = new Map<string, number>();
    for (const r of sent) {
      const kind = r.replace(/\?.*$/, '').replace(/\/[A-Za-z0-9]{15,18}$/, '/:id');
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }

    const tasksPerCall = new Map<string, number>();
    for (const t of sf.all('Task')) {
      const sid = String(t.CallObject);
      tasksPerCall.set(sid, (tasksPerCall.get(sid) ?? 0) + 1);
    }
    const errors = sids.filter((s) => tasksPerCall.get(s) !== 1).length;
    const row: MicroRow = {
      name: 'salesforce sync',
      rps: Math.round(n / (busyMs / 1000)),
      p50Ms: +percentile(latencies, 50).toFixed(1),
      p99Ms: +percentile(latencies, 99).toFixed(1),
      errors,
    };
    return {
      row,
      requestsPer200: +((requests / n) * 200).toFixed(2),
      requests,
      byKind: Object.fromEntries(kinds),
    };
  } finally {
    await database.close();
    await drop();
    await sf.close();
  }
}

if (require.main === module) {
  const n = Number(process.argv[2] ?? 1000);
  benchSalesforce({ activities: n, failures: process.argv.includes('--failures') })
    .then(({ row, requestsPer200, requests, byKind }) => {
      console.table([row]);
      console.log(
        `salesforce sync: ${requests} API requests for ${n} activities (${requestsPer200} per 200)`,
        byKind,
      );
      process.exit(0);
    })
    .catch((err: unknown) => {
      process.stderr.write(`bench-salesforce: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    });
}
