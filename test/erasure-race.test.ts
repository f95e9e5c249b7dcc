import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import request from 'supertest';
import { createDeadLettersRepo } from '../src/calls/webhook-dead-letters.repo';
import { dedupeKey } from '../src/calls/webhook-ingest';
import { createWebhookDurability } from '../src/calls/webhook-journal-replay';
import { openWebhookJournal } from '../src/calls/webhook-journal';
import { createContext } from '../src/context';
import { loadConfig } from '../src/shared/config';
import { systemClock } from '../src/shared/clock';
import { createLogger } from '../src/shared/logger';
import { createTestContext, TEST_ADMIN_KEY, type TestContext } from './support/context';
import { buildTrackedCampaign, postSignedWebhook, visitorHoldingNumber } from './support/factories';
import { stallDatabase } from './support/outage';
import { TEST_ACCOUNT_SID } from './support/twilio';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext({ twilio: true, env: { VOICE_DEADLINE_MS: '400' } });
});
afterAll(() => t.close());

let seq = 0;
const sid = () => `CA${(0xf0000000 + ++seq).toString(16)}${'d'.repeat(24)}`;
const caller = '+14155550163';
const down = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

/**
 * The calls feature's durability over a real journal directory and dead-letter store, with a
 * database write the test holds open: `up` lets writes in, `hold()` makes the next ones wait.
 */
function durabilityWithHeldWrites() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadline-erasure-race-'));
  const events: string[] = [];
  const stored: { params: Record<string, string>; key: string | undefined }[] = [];
  let up = false;
  let gate: Promise<void> | undefined;
  let open: () => void = () => undefined;
  const durability = createWebhookDurability({
    journalDir: dir,
    ping: async () => {
      if (!up) throw down;
    },
    tickMs: 60_000,
    store: async (_kind, params, _receivedAt, key) => {
      if (!up) throw down;
      await gate;
      stored.push({ params, key });
      events.push(`stored ${params.From ?? 'without the number'}`);
    },
    deadLetters: createDeadLettersRepo(t.ctx.database.db),
    dedupeKey,
    clock: systemClock,
    log: createLogger('silent'),
  });
  durability.start();
  const onDisk = () =>
    fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.ndjson'))
      .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
      .join('');
  return {
    durability,
    events,
    stored,
    onDisk,
    up: () => void (up = true),
    hold: () => {
      gate = new Promise<void>((r) => (open = r));
    },
    release: () => open(),
    async close() {
      open();
      await durability.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const webhook = (over: Record<string, string> = {}) => ({
  CallSid: sid(),
  AccountSid: TEST_ACCOUNT_SID,
  CallStatus: 'completed',
  From: caller,
  CallerName: 'Grace Hopper',
  To: '+14155550100',
  ...over,
});

describe('an erasure racing a webhook Leadline acknowledged but had not stored', () => {
  it('waits for a retry already writing the caller, so its own pass sees that write', async () => {
    const h = durabilityWithHeldWrites();
    try {
      await h.durability.journal('status', webhook(), new Date(), Promise.resolve(), down);
      h.up();
      h.hold();
      const replaying = h.durability.retry.flush();
      await tick();
      let again = 0;
      const erasing = h.durability
        .forgetCaller(caller, { settleMs: 5_000, again: async () => void (again += 1) })
        .then(() => h.events.push('erasure passed the webhooks'));
      await tick(100);
      expect(h.events).toEqual([]);
      h.release();
      await erasing;
      await replaying;
      // The write with the number landed before the erasure went on to the database's rows.
      expect(h.events).toEqual([`stored ${caller}`, 'erasure passed the webhooks']);
      expect(again).toBe(0);
    } finally {
      await h.close();
    }
  });

  it('erases again once a write that outlasted the wait lands', async () => {
    const h = durabilityWithHeldWrites();
    try {
      await h.durability.journal('status', webhook(), new Date(), Promise.resolve(), down);
      h.up();
      h.hold();
      const replaying = h.durability.retry.flush();
      await tick();
      let erasedAgain!: () => void;
      const again = new Promise<void>((r) => (erasedAgain = r));
      await h.durability.forgetCaller(caller, {
        settleMs: 50,
        again: async () => {
          h.events.push('erased again');
          erasedAgain();
        },
      });
      h.events.push('erasure passed the webhooks');
      h.release();
      await replaying;
      await again;
      expect(h.events).toEqual(['erasure passed the webhooks', `stored ${caller}`, 'erased again']);
    } finally {
      await h.close();
    }
  });

  it("waits for the request's own write of the webhook, still running when the erasure starts", async () => {
    const h = durabilityWithHeldWrites();
    try {
      let landed!: () => void;
      const write = h.durability.track(
        webhook(),
        new Promise<void>((r) => (landed = r)).then(() => h.events.push('first write landed')),
      );
      const erasing = h.durability
        .forgetCaller(caller, { settleMs: 5_000 })
        .then(() => h.events.push('erasure passed the webhooks'));
      await tick(50);
      landed();
      await Promise.all([write, erasing]);
      expect(h.events).toEqual(['first write landed', 'erasure passed the webhooks']);
    } finally {
      await h.close();
    }
  });

  it('strips the caller from a webhook received before the erasure and journaled after it, and keeps one received after', async () => {
    const h = durabilityWithHeldWrites();
    try {
      const before = webhook();
      const receivedBefore = new Date();
      await tick(5);
      await h.durability.forgetCaller(caller);
      await tick(5);
      // The request's own write failed only now: the webhook goes to the journal after the erasure.
      await h.durability.journal('status', before, receivedBefore, Promise.resolve(), down);
      const after = webhook({ CallStatus: 'ringing', CallerName: 'G. Hopper, calling again' });
      await h.durability.journal('status', after, new Date(), Promise.resolve(), down);
      expect(h.onDisk()).not.toContain('Grace Hopper');
      expect(h.onDisk()).toContain(after.CallSid);

      h.up();
      expect(await h.durability.retry.flush()).toBe(0);
      const first = h.stored.find((s) => s.params.CallSid === before.CallSid);
      expect(first?.params).toEqual({
        CallSid: before.CallSid,
        AccountSid: TEST_ACCOUNT_SID,
        CallStatus: 'completed',
        To: '+14155550100',
      });
      // Stored under the key it was received with, so a copy that did land is not doubled.
      expect(first?.key).toBe(dedupeKey('status', before));
      // A webhook that arrived after the erasure is a new call of this caller's, kept as is.
      expect(h.stored.find((s) => s.params.CallSid === after.CallSid)?.params).toEqual(after);
    } finally {
      await h.close();
    }
  });
});

describe('DELETE /api/v1/privacy/callers/:e164 while the database is stalled', () => {
  it('leaves no trace of the caller once the webhooks acknowledged during the stall are replayed', async () => {
    const { site } = await buildTrackedCampaign(t.ctx, { poolSize: 1 });
    const v = await visitorHoldingNumber(t.app, site.siteKey);
    const callSid = sid();
    const voice = {
      CallSid: callSid,
      AccountSid: TEST_ACCOUNT_SID,
      From: caller,
      To: v.number.e164,
      CallStatus: 'ringing',
      Direction: 'inbound',
      CallerName: 'Grace Hopper',
      FromCity: 'ARLINGTON',
    };
    const stall = await stallDatabase(t.ctx.database, t.databaseUrl);
    let erasure: Promise<request.Response> | undefined;
    try {
      await postSignedWebhook(t.app, '/twilio/voice', voice).expect(200);
      await postSignedWebhook(t.app, '/twilio/status', {
        ...voice,
        CallStatus: 'completed',
        CallDuration: '42',
      }).expect((res) => expect(res.status).toBeLessThan(300));
      expect(t.ctx.webhookJournalBacklog()).toBeGreaterThanOrEqual(1);
      // The erasure starts while both webhooks wait for the database, then it comes back.
      erasure = request(t.app)
        .delete(`/api/v1/privacy/callers/${encodeURIComponent(caller)}`)
        .set('Authorization', t.admin)
        .then((res) => res);
      await tick(300);
    } finally {
      await stall.release();
    }
    expect((await erasure).status).toBe(200);
    const until = Date.now() + 20_000;
    while ((await t.ctx.webhookRetry.flush()) > 0 && Date.now() < until) await tick(100);
    expect(t.ctx.webhookJournalBacklog()).toBe(0);

    const calls = await t.ctx.database.rows<{ from_number: string | null; status: string }>(
      sql`select from_number, status from calls where call_sid = ${callSid}`,
    );
    expect(calls).toEqual([{ from_number: null, status: 'completed' }]);
    const events = await t.ctx.database.rows<{ params: unknown }>(
      sql`select params from call_events where root_call_sid = ${callSid}`,
    );
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(events)).not.toMatch(/4155550163|Grace|ARLINGTON/);
    const anywhere = await t.ctx.database.rows<{ n: number }>(
      sql`select count(*)::int as n from calls where from_number = ${caller} or caller_name = 'Grace Hopper'`,
    );
    expect(anywhere[0]?.n).toBe(0);
    const letters = await t.ctx.database.rows<{ n: number }>(
      sql`select count(*)::int as n from webhook_dead_letters where params like ${`%${caller}%`}`,
    );
    expect(letters[0]?.n).toBe(0);
  }, 60_000);
});

describe('a webhook another process journaled before an erasure and replays after it', () => {
  it('is stored without the caller, found erased in the audit log', async () => {
    const erasedCaller = '+14155550164';
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadline-other-node-'));
    const callSid = sid();
    try {
      // The other process acknowledged the webhook during an outage and died before storing it.
      const journal = openWebhookJournal({ dir, log: createLogger('silent') });
      await journal.append(
        'status',
        {
          CallSid: callSid,
          AccountSid: TEST_ACCOUNT_SID,
          CallStatus: 'completed',
          From: erasedCaller,
          CallerName: 'Ada Byron',
          FromZip: '94105',
          To: '+14155550100',
          CallDuration: '33',
        },
        new Date(Date.now() - 60_000),
      );
      await journal.close();

      // The caller is erased through this node, whose own journal never held that webhook.
      await request(t.app)
        .delete(`/api/v1/privacy/callers/${encodeURIComponent(erasedCaller)}`)
        .set('Authorization', t.admin)
        .expect(200);

      // The other process starts again on the same database and replays its journal.
      const other = createContext({
        config: loadConfig({
          ...process.env,
          NODE_ENV: 'test',
          LEADLINE_ADMIN_KEY: TEST_ADMIN_KEY,
          PUBLIC_BASE_URL: 'https://leadline.test',
          WEBHOOK_JOURNAL_DIR: dir,
          ...(t.databaseUrl ? { DATABASE_URL: t.databaseUrl } : {}),
        }),
        database: t.ctx.database,
        logger: createLogger('silent'),
      });
      await other.start();
      try {
        const until = Date.now() + 20_000;
        while ((await other.webhookRetry.flush()) > 0 && Date.now() < until) await tick(100);
        expect(other.webhookJournalBacklog()).toBe(0);
      } finally {
        await other.stop();
      }
      const calls = await t.ctx.database.rows<{ from_number: string | null; status: string }>(
        sql`select from_number, status from calls where call_sid = ${callSid}`,
      );
      expect(calls).toEqual([{ from_number: null, status: 'completed' }]);
      const events = await t.ctx.database.rows<{ params: unknown }>(
        sql`select params from call_events where root_call_sid = ${callSid}`,
      );
      expect(events).toHaveLength(1);
      expect(JSON.stringify(events)).not.toMatch(/4155550164|Ada|94105/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
