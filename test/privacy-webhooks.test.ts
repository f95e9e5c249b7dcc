import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createDeadLettersRepo } from '../src/calls/webhook-dead-letters.repo';
import { dedupeKey } from '../src/calls/webhook-ingest';
import { createWebhookDurability } from '../src/calls/webhook-journal-replay';
import { systemClock } from '../src/shared/clock';
import { createLogger } from '../src/shared/logger';
import { createTestContext, type TestContext } from './support/context';
import { stallDatabase } from './support/outage';
import { TEST_ACCOUNT_SID } from './support/twilio';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext({ twilio: true, env: { VOICE_DEADLINE_MS: '400' } });
});
afterAll(() => t.close());

let seq = 0;
const sid = () => `CA${(0xe0000000 + ++seq).toString(16)}${'b'.repeat(24)}`;
const caller = '+14155550142';
const other = '+14155550177';

/** Dead letters as an admin lists them. */
async function deadLetters(): Promise<{ callSid: string; params: Record<string, string> }[]> {
  const res = await request(t.app)
    .get('/api/v1/calls/webhook-dead-letters?limit=500')
    .set('Authorization', t.admin)
    .expect(200);
  return res.body.deadLetters;
}

describe('DELETE /api/v1/privacy/callers/:e164 and the webhook dead-letter store', () => {
  it("strips the caller's number and name from their dead letters and leaves other callers' alone", async () => {
    const mine = sid();
    const theirs = sid();
    const stall = await stallDatabase(t.ctx.database, t.databaseUrl);
    try {
      // Behind the edge's sanitising: the database refuses the NUL, so these become dead letters.
      for (const [callSid, from, name] of [
        [mine, caller, 'Ada\u0000Lovelace'],
        [theirs, other, 'Bob\u0000Smith'],
      ] as const) {
        await t.ctx.webhooks.status({
          CallSid: callSid,
          AccountSid: TEST_ACCOUNT_SID,
          CallStatus: 'completed',
          From: from,
          Caller: from,
          CallerName: name,
          FromCity: 'OAKLAND',
        });
      }
    } finally {
      await stall.release();
    }
    const drainedBy = Date.now() + 20_000;
    while ((await t.ctx.webhookRetry.flush()) > 0 && Date.now() < drainedBy);
    expect((await deadLetters()).map((d) => d.callSid)).toEqual(
      expect.arrayContaining([mine, theirs]),
    );

    const res = await request(t.app)
      .delete(`/api/v1/privacy/callers/${encodeURIComponent(caller)}`)
      .set('Authorization', t.admin)
      .expect(200);
    expect(res.body.touched).toMatchObject({ webhookDeadLetters: 1, journal: 0 });

    const after = await deadLetters();
    const erased = after.find((d) => d.callSid === mine);
    expect(erased?.params).toEqual({
      CallSid: mine,
      AccountSid: TEST_ACCOUNT_SID,
      CallStatus: 'completed',
    });
    expect(JSON.stringify(after)).not.toContain(caller);
    expect(after.find((d) => d.callSid === theirs)?.params).toMatchObject({
      From: other,
      CallerName: 'Bob\u0000Smith',
    });
  }, 60_000);
});

describe('forgetCaller on the local webhook journal', () => {
  it('rewrites the journal without the caller, and the webhook is still stored once under its original key', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadline-forget-'));
    let databaseUp = false;
    const down = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const stored: { params: Record<string, string>; key: string | undefined }[] = [];
    const durability = createWebhookDurability({
      journalDir: dir,
      ping: async () => {
        if (!databaseUp) throw down;
      },
      tickMs: 60_000,
      store: async (_kind, params, _receivedAt, key) => {
        if (!databaseUp) throw down;
        stored.push({ params, key });
      },
      deadLetters: createDeadLettersRepo(t.ctx.database.db),
      dedupeKey,
      clock: systemClock,
      log: createLogger('silent'),
    });
    durability.start();
    const mine = {
      CallSid: sid(),
      AccountSid: TEST_ACCOUNT_SID,
      CallStatus: 'ringing',
      From: caller,
      CallerName: 'Ada Lovelace',
      To: '+14155550100',
    };
    const theirs = { ...mine, CallSid: sid(), From: other, CallerName: 'Bob Smith' };
    try {
      for (const params of [mine, theirs]) {
        await durability.journal('voice', params, new Date(), Promise.resolve(), down);
      }
      const onDisk = () =>
        fs
          .readdirSync(dir)
          .filter((f) => f.endsWith('.ndjson'))
          .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
          .join('');
      expect(onDisk()).toContain(caller);

      // One more of theirs, still being appended while the erasure runs.
      const late = { ...mine, CallSid: sid(), CallStatus: 'in-progress' };
      const appending = durability.journal('status', late, new Date(), Promise.resolve(), down);
      const forgotten = await durability.forgetCaller(caller);
      await appending;
      expect(forgotten).toEqual({ deadLetters: 0, journal: 2 });
      expect(onDisk()).not.toContain(caller);
      expect(onDisk()).not.toContain('Ada Lovelace');
      expect(onDisk()).toContain(other);

      databaseUp = true;
      expect(await durability.retry.flush()).toBe(0);
      const landed = stored.find((s) => s.params.CallSid === mine.CallSid);
      expect(landed?.params).toEqual({
        CallSid: mine.CallSid,
        AccountSid: TEST_ACCOUNT_SID,
        CallStatus: 'ringing',
        To: '+14155550100',
      });
      // The same key as the webhook had when received: a copy that landed before is a no-op.
      expect(landed?.key).toBe(dedupeKey('voice', mine));
      expect(stored.find((s) => s.params.CallSid === theirs.CallSid)?.params).toEqual(theirs);
      const lateLanded = stored.find((s) => s.params.CallSid === late.CallSid);
      expect(lateLanded?.params.From).toBeUndefined();
      expect(lateLanded?.key).toBe(dedupeKey('status', late));
      expect(JSON.stringify(stored)).not.toContain(caller);
    } finally {
      await durability.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
