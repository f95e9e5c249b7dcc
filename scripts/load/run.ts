// One load run: set up, traffic with faults injected midway, progress every 10 s, then the check.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_TWILIO_ACCOUNT_SID, DEMO_TWILIO_AUTH_TOKEN } from '../../src/shared/config';
import {
  createRunDatabase,
  overlappingExclusiveLeases,
  storedCalls,
  type RunDatabase,
} from './database';
import { leadlineProcess, type LeadlineUnderLoad } from './process';
import { SITE_ORIGIN, startTraffic } from './traffic';

export interface LoadOptions {
  databaseUrl: URL;
  minutes: number;
  outage: boolean;
  restart: boolean;
  visitorsPerSecond: number;
  callsPerSecond: number;
  port: number;
  seed: number;
}

const ADMIN_KEY = 'load-admin-key-0123456789abcdef';
const PUBLIC_BASE_URL = 'https://leadline-load.test';
const OUTAGE_MS = 20_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The whole run; resolves to the exit code (1 when the consistency check fails). */
export async function runLoad(o: LoadOptions, log: (line: string) => void): Promise<number> {
  const db = await createRunDatabase(o.databaseUrl);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadline-load-'));
  const journalDir = path.join(dataDir, 'journal');
  const leadline = leadlineProcess(
    {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATABASE_URL: db.url,
      DATA_DIR: dataDir,
      WEBHOOK_JOURNAL_DIR: journalDir,
      LEADLINE_ADMIN_KEY: ADMIN_KEY,
      PUBLIC_BASE_URL,
      DNI_RATE_LIMIT_PER_MINUTE: '100000',
      TWILIO_ACCOUNT_SID: '',
      TWILIO_AUTH_TOKEN: '',
    },
    o.port,
  );
  try {
    await leadline.start();
    return await drive(o, db, leadline, journalDir, log);
  } finally {
    await leadline.kill();
    await db.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function drive(
  o: LoadOptions,
  db: RunDatabase,
  leadline: LeadlineUnderLoad,
  journalDir: string,
  log: (line: string) => void,
): Promise<number> {
  const siteKey = await setUp(leadline.baseUrl);
  log(
    `load: ${o.minutes} min, ${o.visitorsPerSecond} visitors/s, ${o.callsPerSecond} calls/s` +
      `${o.outage ? ', outage' : ''}${o.restart ? ', restart' : ''} (database ${db.name})`,
  );
  const traffic = startTraffic({
    baseUrl: leadline.baseUrl,
    publicBaseUrl: PUBLIC_BASE_URL,
    siteKey,
    authToken: DEMO_TWILIO_AUTH_TOKEN,
    accountSid: DEMO_TWILIO_ACCOUNT_SID,
    visitorsPerSecond: o.visitorsPerSecond,
    callsPerSecond: o.callsPerSecond,
    seed: o.seed,
  });
  const t0 = Date.now();
  const progress = setInterval(() => {
    const s = traffic.sessions.take();
    const c = traffic.calls.take();
    const rss = leadline.rssMb();
    log(
      `${String(Math.round((Date.now() - t0) / 1000)).padStart(4)}s  sessions ${(s.count / 10).toFixed(1)}/s p99 ${s.p99} ms err ${s.failures}` +
        `  calls ${(c.count / 10).toFixed(1)}/s p99 ${c.p99} ms err ${c.failures}` +
        `  live visitors ${traffic.liveVisitors()}  rss ${rss === null ? 'down' : `${rss} MB`}`,
    );
  }, 10_000);

  const total = o.minutes * 60_000;
  await sleep(total * 0.4);
  if (o.outage) {
    log(`fault: Postgres refuses connections for ${OUTAGE_MS / 1000} s`);
    const cut = await db.cut();
    if (o.restart) {
      await sleep(OUTAGE_MS / 2);
      log('fault: SIGKILL Leadline during the outage');
      await leadline.kill();
      await sleep(OUTAGE_MS / 2);
    } else await sleep(OUTAGE_MS);
    await cut.restore();
    log('fault: Postgres back');
  }
  if (o.restart) {
    if (!o.outage) {
      log('fault: SIGKILL Leadline');
      await leadline.kill();
    }
    const started = Date.now();
    await leadline.start();
    log(`fault: Leadline started again on the same journal (${Date.now() - started} ms)`);
  }
  await sleep(Math.max(0, total - (Date.now() - t0)));
  await traffic.stop();
  clearInterval(progress);

  log(
    `totals: ${traffic.sessions.total} session requests (${traffic.sessions.totalFailures} failed), ` +
      `${traffic.calls.total} calls (${traffic.calls.totalFailures} with a refused or failed delivery), ` +
      `${traffic.acknowledged.size} voice webhooks acknowledged`,
  );
  return check(db, leadline, journalDir, [...traffic.acknowledged], log);
}

/** Creates the load site, its default campaign and a pool through the admin API. */
async function setUp(base: string): Promise<string> {
  const api = async <T>(method: string, p: string, body: unknown): Promise<T> => {
    const res = await fetch(`${base}/api/v1${p}`, {
      method,
      headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const site = await api<{ id: string; siteKey: string }>('POST', '/sites', {
    name: 'Load run',
    allowedOrigins: [SITE_ORIGIN],
    swapTargets: ['+14155550100'],
  });
  const campaign = await api<{ id: string }>('POST', '/campaigns', {
    name: 'Load run (default)',
    siteId: site.id,
    match: {},
    holdSeconds: 60,
    fallbackNumber: '+14155550199',
  });
  for (let i = 0; i < 8; i++) {
    await api('POST', `/campaigns/${campaign.id}/numbers`, { count: 50 });
  }
  return site.siteKey;
}

/** Every acknowledged call stored once, no exclusive number held twice, an empty journal. */
async function check(
  db: RunDatabase,
  leadline: LeadlineUnderLoad,
  journalDir: string,
  acknowledged: string[],
  log: (line: string) => void,
): Promise<number> {
  const failures: string[] = [];
  // Journaled webhooks are replayed in the background: give them time to land.
  const deadline = Date.now() + 60_000;
  let missing: string[] = acknowledged;
  while (Date.now() < deadline) {
    missing = [];
    for (const sid of acknowledged) {
      const res = await fetch(`${leadline.baseUrl}/api/v1/calls/${sid}`, {
        headers: { Authorization: `Bearer ${ADMIN_KEY}` },
      });
      const body = res.status === 200 ? ((await res.json()) as { callSid?: string }) : {};
      if (body.callSid !== sid) missing.push(sid);
    }
    if (missing.length === 0 && journalSegments(journalDir).length === 0) break;
    await sleep(2000);
  }
  if (missing.length) {
    failures.push(
      `${missing.length} acknowledged calls not found: ${missing.slice(0, 5).join(', ')}`,
    );
  }
  const { stored, duplicated } = await storedCalls(db.sql, acknowledged);
  if (duplicated.length) failures.push(`calls stored more than once: ${duplicated.join(', ')}`);
  const overlaps = await overlappingExclusiveLeases(db.sql);
  if (overlaps) failures.push(`${overlaps} pairs of live visitors held one number exclusively`);
  await leadline.stop();
  const left = fs.existsSync(journalDir) ? fs.readdirSync(journalDir) : [];
  if (left.length) failures.push(`left in the journal after shutdown: ${left.join(', ')}`);

  log(
    `check: ${acknowledged.length} acknowledged calls, ${stored} stored (each once), ` +
      `${overlaps} overlapping exclusive leases, journal ${left.length ? `holds ${left.length} files` : 'empty'}`,
  );
  for (const f of failures) log(`FAIL ${f}`);
  log(failures.length ? 'consistency check: FAILED' : 'consistency check: passed');
  return failures.length ? 1 : 0;
}

function journalSegments(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f !== 'journal.lock') : [];
}
