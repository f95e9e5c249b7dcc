import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createContext } from '../src/context';
import { openWebhookJournal } from '../src/calls/webhook-journal';
import { createLogger } from '../src/shared/logger';
import { createTestContext, type TestContext } from './support/context';
import { ManualClock } from './support/clock';
import { buildTrackedCampaign, postSignedWebhook } from './support/factories';
import { stallDatabase } from './support/outage';
import { TEST_ACCOUNT_SID } from './support/twilio';

const clock = new ManualClock('2026-06-01T15:00:00Z');
const CALLER = '+12065550177';
let t: TestContext;

beforeAll(async () => {
  t = await createTestContext({ twilio: true, env: { VOICE_DEADLINE_MS: '400' }, clock });
});
afterAll(() => t.close());

let sidSeq = 0;
const newSid = () => `CA${(0xe0000000 + ++sidSeq).toString(16)}${'1'.repeat(24)}`;

/** The live part of a missed call: routed to the fallback number, which did not answer. */
async function missedUntilVoicemail() {
  const { campaign, numbers } = await buildTrackedCampaign(t.ctx);
  const base = {
    CallSid: newSid(),
    AccountSid: TEST_ACCOUNT_SID,
    To: numbers[0]?.e164 ?? '',
    From: CALLER,
    Direction: 'inbound',
  };
  await postSignedWebhook(t.app, '/twilio/voice', { ...base, CallStatus: 'ringing' }).expect(200);
  const next = await postSignedWebhook(t.app, '/twilio/dial-status', {
    ...base,
    CallStatus: 'in-progress',
    DialCallStatus: 'no-answer',
    DialCallSid: `CA${'7'.repeat(8)}${base.CallSid.slice(10)}`,
  }).expect(200);
  expect(next.text).toContain('<Record');
  const finalStatus = { ...base, CallStatus: 'completed', CallDuration: '31', SequenceNumber: '4' };
  return { campaign, callSid: base.CallSid, finalStatus };
}

async function followUpsOf(callSid: string) {
  const all = await t.ctx.followUps.missedBetween(new Date(0), new Date('2100-01-01'));
  return all.filter((f) => f.callSid === callSid);
}

async function callStatus(callSid: string) {
  const res = await request(t.app).get(`/api/v1/calls/${callSid}`).set('Authorization', t.admin);
  return res.status === 200 ? (res.body as { status: string }).status : null;
}

describe('a missed call whose final status is stored late', () => {
  it('becomes one follow-up when the status callback was journaled during a stall and stored afterwards', async () => {
    const { campaign, callSid, finalStatus } = await missedUntilVoicemail();
    const stall = await stallDatabase(t.ctx.database, t.databaseUrl);
    try {
      // Acknowledged from the journal: the database did not answer within the deadline.
      await postSignedWebhook(t.app, '/twilio/status', finalStatus).expect(204);
    } finally {
      await stall.release();
    }
    for (let i = 0; i < 50 && (await t.ctx.webhookRetry.flush()) > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await callStatus(callSid)).toBe('completed');
    for (let i = 0; i < 50 && (await followUpsOf(callSid)).length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await followUpsOf(callSid)).toEqual([
      expect.objectContaining({ callSid, campaignId: campaign.id, state: 'open' }),
    ]);

    // Twilio's own retry of the same callback, and a later recording callback: still one.
    await postSignedWebhook(t.app, '/twilio/status', finalStatus).expect(204);
    await postSignedWebhook(t.app, '/twilio/recording', {
      CallSid: callSid,
      AccountSid: TEST_ACCOUNT_SID,
      RecordingSid: `RE${'2'.repeat(32)}`,
      RecordingUrl: 'https://api.twilio.com/recordings/RE2',
      RecordingStatus: 'completed',
      RecordingDuration: '12',
    }).expect(204);
    expect(await followUpsOf(callSid)).toHaveLength(1);
  });

  it('becomes one follow-up when the journal a killed process left is replayed at start', async () => {
    const { campaign, callSid, finalStatus } = await missedUntilVoicemail();
    // What a process acknowledged and journaled before it died, never stored.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadline-late-'));
    const log = createLogger('silent');
    const journal = openWebhookJournal({ dir, log });
    await journal.append('status', finalStatus, clock.now());
    await journal.append('status', finalStatus, clock.now());
    await journal.close();
    expect(await callStatus(callSid)).toBe('ringing');
    expect(await followUpsOf(callSid)).toEqual([]);

    // The next process on the same database replays that journal when it starts.
    const next = createContext({
      config: { ...t.ctx.config, WEBHOOK_JOURNAL_DIR: dir },
      database: t.ctx.database,
      logger: log,
      clock,
    });
    await next.start();
    try {
      for (let i = 0; i < 50 && (await next.webhookRetry.flush()) > 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(next.webhookJournalBacklog()).toBe(0);
    } finally {
      await next.stop();
    }
    expect(await callStatus(callSid)).toBe('completed');
    expect(await followUpsOf(callSid)).toEqual([
      expect.objectContaining({
        callSid,
        campaignId: campaign.id,
        state: 'open',
        missedAt: clock.now(),
      }),
    ]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
