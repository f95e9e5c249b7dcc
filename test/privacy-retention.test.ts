import { sql } from 'drizzle-orm';
import { createTestContext, type TestContext } from './support/context';
import { ManualClock } from './support/clock';
import { buildTrackedCampaign, postSignedWebhook, visitorHoldingNumber } from './support/factories';
import { TEST_ACCOUNT_SID } from './support/twilio';
import { retentionJobId, createRetentionSchedule } from '../src/privacy/retention';
import { createLogger } from '../src/shared/logger';

const clock = new ManualClock('2026-06-01T15:00:00Z');
let t: TestContext;
const DAY = 86_400_000;

beforeAll(async () => {
  t = await createTestContext({
    twilio: true,
    clock,
    env: {
      CALLER_RETENTION_DAYS: '30',
      RECORDING_RETENTION_DAYS: '10',
      SESSION_RETENTION_DAYS: '5',
      DNI_RATE_LIMIT_PER_MINUTE: '10000',
    },
  });
});
afterAll(() => t.close());

let seq = 0;
const rows = <T>(q: ReturnType<typeof sql>) => t.ctx.database.rows<T>(q);

/** A visited, recorded call from `caller`, started now on the test clock. */
async function recordedCall(caller: string) {
  const { site } = await buildTrackedCampaign(t.ctx, { poolSize: 1 });
  const held = await visitorHoldingNumber(t.app, site.siteKey);
  const callSid = `CA${String(++seq).padStart(8, '0')}${'f'.repeat(24)}`;
  const base = {
    AccountSid: TEST_ACCOUNT_SID,
    CallSid: callSid,
    From: caller,
    To: held.number.e164,
  };
  await postSignedWebhook(t.app, '/twilio/voice', {
    ...base,
    CallerName: 'JOHN DOE',
    FromCity: 'SEATTLE',
    CallStatus: 'ringing',
    Direction: 'inbound',
  }).expect(200);
  await postSignedWebhook(t.app, '/twilio/recording', {
    AccountSid: TEST_ACCOUNT_SID,
    CallSid: callSid,
    RecordingSid: `RE${'2'.repeat(32)}`,
    RecordingUrl: 'https://api.twilio.com/recordings/RE2',
    RecordingStatus: 'completed',
    RecordingDuration: '20',
  });
  await postSignedWebhook(t.app, '/twilio/status', {
    ...base,
    CallStatus: 'completed',
    CallDuration: '25',
  });
  return { callSid, sessionId: held.sessionId };
}

const callOf = async (callSid: string) =>
  (
    await rows<Record<string, unknown>>(
      sql`select from_number, caller_name, recording_url, campaign_id, duration_seconds from calls where call_sid = ${callSid}`,
    )
  )[0];

describe('privacy.retention', () => {
  it('drops sessions, then recordings, then callers as each period passes, keeping attribution', async () => {
    const old = await recordedCall('+12065550301');
    const fresh = { ...(await recordedCall('+12065550302')) };
    // Make the first call (and its visit) 40 days older than the second.
    await rows(
      sql`update calls set started_at = started_at - interval '40 days' where call_sid = ${old.callSid}`,
    );
    await rows(
      sql`update visitor_sessions set last_seen_at = last_seen_at - interval '40 days' where id = ${old.sessionId}`,
    );

    const first = await t.ctx.retention.run();
    expect(first).toMatchObject({ calls: 1, sessions: 1 });
    expect(first.events).toBeGreaterThanOrEqual(2);
    expect(await callOf(old.callSid)).toMatchObject({
      from_number: null,
      caller_name: null,
      recording_url: null,
      duration_seconds: 25,
    });
    expect((await callOf(old.callSid))?.campaign_id).toBeTruthy();
    const events = await rows<{ params: object }>(
      sql`select params from call_events where call_sid = ${old.callSid}`,
    );
    for (const e of events)
      expect(JSON.stringify(e.params)).not.toMatch(/2065550301|JOHN|RecordingUrl/);
    // The fresh call is untouched.
    expect(await callOf(fresh.callSid)).toMatchObject({ from_number: '+12065550302' });

    // 11 days on: the fresh call's recording goes, its caller stays; its session (5 days) goes.
    clock.advance(11 * DAY);
    const second = await t.ctx.retention.run();
    expect(second).toMatchObject({ calls: 0, recordings: 1, sessions: 1 });
    expect(await callOf(fresh.callSid)).toMatchObject({
      from_number: '+12065550302',
      recording_url: null,
    });

    // 30 days after the call: its caller goes too. A further run changes nothing.
    clock.advance(20 * DAY);
    expect(await t.ctx.retention.run()).toMatchObject({ calls: 1 });
    expect(await callOf(fresh.callSid)).toMatchObject({ from_number: null });
    const again = await t.ctx.retention.run();
    expect(Object.values(again).every((n) => n === 0)).toBe(true);
  });

  it('queues one run a day after 03:00 UTC, whichever node asks', async () => {
    const at = new ManualClock('2026-06-02T02:59:00Z');
    const queued = new Set<string>();
    const schedule = (enqueue = async (id: string) => void queued.add(id)) =>
      createRetentionSchedule({
        clock: at,
        log: createLogger('silent'),
        queued: async (id) => queued.has(id),
        enqueue,
      });
    const a = schedule();
    const b = schedule();
    expect(await a.tick()).toBe('not-yet');
    at.advance(60_000);
    expect(await a.tick()).toBe('queued');
    expect(await b.tick()).toBe('already');
    expect([...queued]).toEqual([retentionJobId(at.now())]);
    at.advance(DAY);
    expect(await b.tick()).toBe('queued');
    expect(queued.size).toBe(2);
  });

  it('runs as a queue job', async () => {
    const id = await t.ctx.queue.enqueue('privacy.retention', {});
    for (let i = 0; i < 100; i++) {
      const s = await t.ctx.queue.jobState('privacy.retention', id);
      if (s?.state === 'completed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await t.ctx.queue.jobState('privacy.retention', id))?.state).toBe('completed');
    const runs = await rows<{ n: number }>(
      sql`select count(*)::int as n from privacy_retention_runs`,
    );
    expect(runs[0]?.n).toBeGreaterThanOrEqual(5);
  });
});
