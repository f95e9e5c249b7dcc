// Scoring through the real queue: N finished calls are seeded, `call.score` is enqueued for each,
// and the row measures calls scored per second until all are scored, with each call's latency
// from its enqueue to its score's `scoredAt`. Leadline runs in process as production runs it
// (NODE_ENV=production, default log level, logs dropped; Salesforce not configured, so syncs
// wait).
// Used by `npm run bench`; `tsx scripts/bench-scoring.ts [N]` runs it alone.
import { randomBytes } from 'node:crypto';
import { inArray } from 'drizzle-orm';
import { benchDatabaseUrl, benchDataDir } from './bench/database';
import { calls, callScores } from '../db/schema';
import { createContext } from '../src/context';
import { loadConfig } from '../src/shared/config';
import { openDatabase } from '../src/shared/db';
import { createLogger } from '../src/shared/logger';
import { percentile, type MicroRow } from './bench/stats';

/** Scores `n` seeded calls through the queue; errors = calls not scored within the time limit. */
export async function benchScoring(opts: { calls?: number; timeoutMs?: number } = {}) {
  const n = opts.calls ?? 200;
  const { url, drop } = await benchDatabaseUrl('score');
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: url,
    DATA_DIR: benchDataDir('score'),
    LEADLINE_ADMIN_KEY: 'bench-admin-key-0123456789',
    PUBLIC_BASE_URL: 'http://127.0.0.1:1',
  });
  const database = await openDatabase({
    url: config.DATABASE_URL,
    dataDir: null,
    poolSize: config.DATABASE_POOL_SIZE,
  });
  // Logs are written and dropped, as a log shipper would read them.
  const sink = { write: (_line: string) => undefined };
  const ctx = createContext({ config, database, logger: createLogger(config.LOG_LEVEL, sink) });
  try {
    await ctx.start();
    const site = await ctx.campaigns.createSite({
      name: 'bench scoring',
      allowedOrigins: ['https://bench.leadline.test'],
      swapTargets: ['+14155550100'],
    });
    const now = Date.now();
    const sids = Array.from({ length: n }, () => `CA${randomBytes(16).toString('hex')}`);
    // Finished calls, as the webhooks leave them: a mix of answered, short and missed calls.
    const rows = sids.map((callSid, i) => {
      const talk = [240, 45, 0][i % 3] ?? 0;
      return {
        callSid,
        direction: 'inbound',
        fromNumber: `+1206557${String(i % 10_000).padStart(4, '0')}`,
        toNumber: '+14155550100',
        siteId: site.id,
        status: 'completed',
        outcome: talk > 0 ? 'answered' : 'missed',
        startedAt: new Date(now - 600_000),
        answeredAt: talk > 0 ? new Date(now - 590_000) : null,
        endedAt: new Date(now - 590_000 + talk * 1000),
        durationSeconds: talk + 10,
        talkSeconds: talk,
        firstTime: i % 2 === 0,
        source: 'google',
        medium: 'cpc',
      };
    });
    for (let k = 0; k < rows.length; k += 500) {
      await database.db.insert(calls).values(rows.slice(k, k + 500));
    }

    const enqueuedAt = new Map<string, number>();
    const t0 = Date.now();
    for (const callSid of sids) {
      enqueuedAt.set(callSid, Date.now());
      await ctx.queue.enqueue('call.score', { callSid });
    }
    const scoredAt = new Map<string, number>();
    const deadline = t0 + (opts.timeoutMs ?? 120_000);
    while (scoredAt.size < n && Date.now() < deadline) {
      const pending = sids.filter((s) => !scoredAt.has(s));
      for (let k = 0; k < pending.length; k += 1000) {
        const got = await database.db
          .select({ callSid: callScores.callSid, scoredAt: callScores.scoredAt })
          .from(callScores)
          .where(inArray(callScores.callSid, pending.slice(k, k + 1000)));
        for (const g of got) scoredAt.set(g.callSid, g.scoredAt.getTime());
      }
      if (scoredAt.size < n) await new Promise((r) => setTimeout(r, 25));
    }
    const last = Math.max(...scoredAt.values(), t0);
    const latencies = [...scoredAt].map(([sid, at]) => at - (enqueuedAt.get(sid) ?? at));
    const row: MicroRow = {
      name: 'scoring',
      rps: Math.round(scoredAt.size / Math.max(0.001, (last - t0) / 1000)),
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      errors: n - scoredAt.size,
    };
    return row;
  } finally {
    await ctx.stop();
    await database.close();
    await drop();
  }
}

if (require.main === module) {
  const n = Number(process.argv[2] ?? 200);
  benchScoring({ calls: n })
    .then((row) => {
      console.table([row]);
      process.exit(0);
    })
    .catch((err: unknown) => {
      process.stderr.write(`bench-scoring: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    });
}
