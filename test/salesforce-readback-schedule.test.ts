import { randomBytes } from 'node:crypto';
import type { CallRow } from '../src/calls/calls.repo';
import type { CallScore } from '../src/calls/calls.service';
import { startSalesforceStandin, type SalesforceStandin } from '../src/demo/salesforce/standin';
import { createJobQueue, type JobQueue } from '../src/jobs/queue';
import { deployMetadata } from '../src/salesforce/deploy';
import { salesforceReadBackJob } from '../src/salesforce/readback.job';
import { createSalesforceClient } from '../src/salesforce/salesforce.client';
import { createSyncRepo } from '../src/salesforce/sync.repo';
import { createSyncService, type SyncService } from '../src/salesforce/sync.service';
import type { Database } from '../src/shared/db';
import { createLogger } from '../src/shared/logger';
import { systemClock } from '../src/shared/clock';
import { sql } from 'drizzle-orm';
import { openTestDatabase } from './support/database';

const log = createLogger('silent');
let sf: SalesforceStandin;
let database: Database;
let drop: () => Promise<void>;
const calls = new Map<string, CallRow>();
const PERIOD_MS = 2_000;

beforeAll(async () => {
  sf = await startSalesforceStandin();
  ({ database, drop } = await openTestDatabase());
  await deployMetadata(api());
});
afterAll(async () => {
  await drop();
  await sf.close();
});

function api() {
  return createSalesforceClient({
    instanceUrl: sf.url,
    accessToken: 'initial-token',
    apiVersion: '60.0',
    timeoutMs: 5_000,
  });
}

/** One Leadline node as the composition root wires it: its own queue and sync service. */
function node(): { queue: JobQueue; sync: SyncService } {
  const queue = createJobQueue({ queueDb: database.queueDb, log, pollingIntervalSeconds: 0.5 });
  const sync = createSyncService({
    repo: createSyncRepo(database.db),
    api: api(),
    calls: { findCall: async (sid) => calls.get(sid) },
    scores: async (sids) =>
      new Map<string, CallScore>(
        sids.map((s) => [
          s,
          { score: 75, qualified: true, label: 'hot', explanation: [], rulesVersion: 0 },
        ]),
      ),
    campaigns: { getCampaign: async () => ({ name: 'Spring', salesforceCampaignId: null }) },
    clock: systemClock,
    log,
    publicBaseUrl: 'https://leadline.test',
    windowMs: 3_600_000,
    readBackEveryMs: PERIOD_MS,
    queueReadBack: (seconds) => queue.enqueueOncePer('salesforce.readback', {}, seconds),
  });
  queue.handle('salesforce.readback', salesforceReadBackJob(sync));
  return { queue, sync };
}

/** Every `salesforce.readback` job pg-boss holds (live or archived): its period and state. */
async function readBackJobs(): Promise<{ slot: string; state: string }[]> {
  return database.rows<{ slot: string; state: string }>(sql`
    select singleton_on::text as slot, state from pgboss.job where name = 'salesforce.readback'
    union all
    select singleton_on::text, state from pgboss.archive where name = 'salesforce.readback'`);
}

/** How many read-backs reached Salesforce: each one asks for the synced Leads first. */
const readBacksSeen = () =>
  sf.queries.filter((q) => q.startsWith('SELECT Id, IsConverted, ConvertedOpportunityId')).length;

async function waitFor(check: () => Promise<boolean>, what: string, ms = 30_000) {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Salesforce read-back on a schedule', () => {
  it('runs once per period, not once per node, when two nodes share the database', async () => {
    const a = node();
    const b = node();
    // Someone to read back: a synced call whose unknown caller became a Lead.
    const callSid = `CA${randomBytes(16).toString('hex')}`;
    calls.set(callSid, {
      callSid,
      fromNumber: '+13125550777',
      toNumber: '+14155550100',
      campaignId: null,
      attribution: 'exact',
      status: 'completed',
      outcome: 'answered',
      startedAt: new Date(),
      durationSeconds: 95,
      talkSeconds: 90,
      firstTime: true,
    } as CallRow);
    await a.sync.callScored(callSid);
    await a.sync.flush();
    const synced = (await a.sync.statesOf([callSid])).get(callSid);
    expect(synced).toMatchObject({ state: 'synced', matchRule: 'lead-created' });
    const lead = sf.all('Lead').find((l) => l.Id === synced?.whoId);
    expect(lead).toBeDefined();
    // The deal closes in Salesforce; the read-back should bring it to the call.
    const opp = sf.insert('Opportunity', {
      Name: 'Water heater',
      StageName: 'Closed Won',
      IsWon: true,
      IsClosed: true,
      Amount: 1800,
      CloseDate: '2026-06-02',
    });
    Object.assign(lead ?? {}, { IsConverted: true, ConvertedOpportunityId: opp.Id });
    const before = readBacksSeen();

    try {
      await a.queue.start();
      await b.queue.start();
      a.sync.start();
      b.sync.start();
      // Each node ticks four times a period; let at least three periods pass.
      await waitFor(
        async () => new Set((await readBackJobs()).map((j) => j.slot)).size >= 3,
        'three periods of read-back',
      );
    } finally {
      await a.sync.stop();
      await b.sync.stop();
    }
    // Let the last queued read-back finish, then count.
    await waitFor(
      async () => (await readBackJobs()).every((j) => j.state === 'completed'),
      'the queued read-backs to finish',
    );
    await a.queue.stop();
    await b.queue.stop();

    const jobs = await readBackJobs();
    const perSlot = new Map<string, number>();
    for (const j of jobs) perSlot.set(j.slot, (perSlot.get(j.slot) ?? 0) + 1);
    expect(perSlot.size).toBeGreaterThanOrEqual(3);
    expect([...perSlot.values()].every((n) => n === 1)).toBe(true);
    // Slots are whole periods apart (pg-boss stores the period's start).
    const starts = [...perSlot.keys()].map((s) => Date.parse(`${s}Z`)).sort((x, y) => x - y);
    for (let k = 1; k < starts.length; k++) {
      expect(((starts[k] as number) - (starts[k - 1] as number)) % PERIOD_MS).toBe(0);
    }
    // Salesforce saw exactly one read-back per job, and the won deal reached Leadline.
    expect(readBacksSeen() - before).toBe(jobs.length);
    const revenue = await a.sync.revenue('source');
    expect(revenue.rows.length).toBeGreaterThan(0);
    expect(await a.sync.wonRevenueByCall()).toEqual(
      expect.arrayContaining([expect.objectContaining({ callSid, wonDeals: 1 })]),
    );
  });
});
