import { Writable } from 'node:stream';
import request from 'supertest';
import { sql } from 'drizzle-orm';
import type { Express } from 'express';
import { createApp } from '../src/app';
import { createContext, type AppContext } from '../src/context';
import { loadConfig } from '../src/shared/config';
import { createLogger } from '../src/shared/logger';
import { openTestDatabase } from './support/database';
import { startTestTwilio, TEST_ACCOUNT_SID } from './support/twilio';
import { TEST_ADMIN_KEY } from './support/context';
import { ManualClock } from './support/clock';
import { buildTrackedCampaign, postSignedWebhook, visitorHoldingNumber } from './support/factories';

/** A context whose logs (at info) are captured, so a test can look for the caller's number. */
const logged: string[] = [];
const clock = new ManualClock('2026-06-01T15:00:00Z');
let ctx: AppContext;
let app: Express;
let close: () => Promise<void>;
const admin = `Bearer ${TEST_ADMIN_KEY}`;
let marketer: string;

beforeAll(async () => {
  const tw = await startTestTwilio();
  const { database, url, drop } = await openTestDatabase();
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    LEADLINE_ADMIN_KEY: TEST_ADMIN_KEY,
    PUBLIC_BASE_URL: 'https://leadline.test',
    DNI_RATE_LIMIT_PER_MINUTE: '10000',
    ...(url ? { DATABASE_URL: url } : {}),
    ...tw.env,
  });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logged.push(chunk.toString());
      done();
    },
  });
  ctx = createContext({ config, database, logger: createLogger('info', sink), clock });
  await ctx.start();
  app = createApp(ctx);
  marketer = `Bearer ${(await ctx.keys.createKey('marketer', 'privacy test marketer')).key}`;
  close = async () => {
    await ctx.stop();
    await drop();
    await tw.standin.close();
  };
});
afterAll(() => close());

let seq = 0;
const sid = (p = 'CA') => `${p}${String(++seq).padStart(8, '0')}${'e'.repeat(24)}`;
const rows = <T>(q: ReturnType<typeof sql>) => ctx.database.rows<T>(q);

/**
 * A caller who visited the site, called the number they were shown, was dialled through to a
 * leg, recorded, scored, routed, queued for Salesforce: their data in every store that keeps it.
 */
async function callerEverywhere(caller: string) {
  const { site } = await buildTrackedCampaign(ctx, { poolSize: 1 });
  const held = await visitorHoldingNumber(app, site.siteKey, {
    landingUrl: 'https://www.example.com/?utm_source=google&utm_medium=cpc&gclid=abc123',
  });
  const callSid = sid();
  const legSid = sid();
  const base = { AccountSid: TEST_ACCOUNT_SID, From: caller, To: held.number.e164 };
  const place = { CallerName: 'JANE ROE', FromCity: 'SEATTLE', FromState: 'WA', FromZip: '98101' };
  const voice = {
    ...base,
    ...place,
    CallSid: callSid,
    CallStatus: 'ringing',
    Direction: 'inbound',
  };
  expect((await postSignedWebhook(app, '/twilio/voice', voice)).status).toBe(200);
  const leg = {
    ...base,
    CallSid: legSid,
    ParentCallSid: callSid,
    To: '+14155550123',
    CallStatus: 'completed',
    CallDuration: '40',
    Direction: 'outbound-dial',
  };
  expect((await postSignedWebhook(app, '/twilio/status', leg)).status).toBeLessThan(300);
  const recording = {
    AccountSid: TEST_ACCOUNT_SID,
    CallSid: callSid,
    RecordingSid: `RE${'1'.repeat(32)}`,
    RecordingUrl: 'https://api.twilio.com/recordings/RE1',
    RecordingStatus: 'completed',
    RecordingDuration: '38',
  };
  expect((await postSignedWebhook(app, '/twilio/recording', recording)).status).toBeLessThan(300);
  const done = { ...base, ...place, CallSid: callSid, CallStatus: 'completed', CallDuration: '45' };
  expect((await postSignedWebhook(app, '/twilio/status', done)).status).toBeLessThan(300);

  // Wait for the real scoring job, then give its explanation the caller's place as facts.
  for (let i = 0; i < 100; i++) {
    if ((await rows(sql`select 1 from call_scores where call_sid = ${callSid}`)).length) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const facts = { callerState: 'WA', callerZip: '98101', distanceKm: 3.2 };
  await rows(sql`
    insert into call_scores (call_sid, score, qualified, label, explanation, rules_version, scored_at)
    values (${callSid}, 70, true, 'hot',
            ${JSON.stringify([
              { rule: 'near', points: 20, facts },
              { rule: 'talk', points: 50, facts: { talkSeconds: 45 } },
            ])}::jsonb,
            1, now())
    on conflict (call_sid) do update set score = 70, explanation = excluded.explanation`);
  await rows(sql`
    insert into call_routing (call_sid, caller_place, candidates, attempts)
    values (${callSid}, ${JSON.stringify({ lat: 47.6, lon: -122.3, city: 'Seattle', state: 'WA', how: 'zip' })}::jsonb,
            ${JSON.stringify([{ agentId: '00000000-0000-4000-8000-000000000001', km: 3.2 }])}::jsonb, '[]'::jsonb)
    on conflict (call_sid) do update set caller_place = excluded.caller_place, candidates = excluded.candidates`);
  await ctx.salesforce.callScored(callSid);
  await ctx.queue.enqueue('salesforce.sync', { callSid, reason: 'final' });
  return { callSid, legSid, sessionId: held.sessionId, campaignId: held.campaignId };
}

describe('DELETE /api/v1/privacy/callers/:e164', () => {
  const caller = '+12065550142';

  it('erases the caller from every store, keeps attribution and scores, and says what it touched', async () => {
    const { callSid, legSid, sessionId, campaignId } = await callerEverywhere(caller);
    const other = await callerEverywhere('+12065550199');

    const res = await request(app)
      .delete(`/api/v1/privacy/callers/${encodeURIComponent(caller)}`)
      .set('Authorization', admin)
      .expect(200);
    expect(res.body.touched).toMatchObject({
      calls: 2,
      sessions: 1,
      scores: 1,
      routing: 1,
    });
    expect(res.body.touched.events).toBeGreaterThanOrEqual(4);
    expect(res.body.touched.salesforce).toBeGreaterThanOrEqual(1);
    expect(res.body.touched.jobs).toBeGreaterThanOrEqual(1);

    const [call] = await rows<Record<string, unknown>>(
      sql`select * from calls where call_sid = ${callSid}`,
    );
    expect(call).toMatchObject({
      from_number: null,
      caller_name: null,
      caller_city: null,
      caller_zip: null,
      visitor_id: null,
      gclid: null,
      recording_url: null,
      campaign_id: campaignId,
      source: 'google',
      medium: 'cpc',
      duration_seconds: 45,
    });
    const [leg] = await rows<Record<string, unknown>>(
      sql`select from_number, to_number from calls where call_sid = ${legSid}`,
    );
    expect(leg).toEqual({ from_number: null, to_number: '+14155550123' });

    const events = await rows<{ params: Record<string, string>; dedupe_key: string }>(
      sql`select params, dedupe_key from call_events where root_call_sid = ${callSid}`,
    );
    expect(events.length).toBeGreaterThanOrEqual(4);
    for (const e of events) {
      expect(JSON.stringify(e.params)).not.toMatch(/2065550142|JANE|SEATTLE|98101|RecordingUrl/);
      expect(e.dedupe_key).toBeTruthy();
      expect(e.params.CallSid).toBeDefined();
    }

    const [score] = await rows<{ score: number; explanation: { facts: object }[] }>(
      sql`select score, explanation from call_scores where call_sid = ${callSid}`,
    );
    expect(score?.score).toBe(70);
    expect(score?.explanation.map((e) => e.facts)).toEqual([{}, { talkSeconds: 45 }]);
    const [routing] = await rows<{ caller_place: object; candidates: { km: null }[] }>(
      sql`select caller_place, candidates from call_routing where call_sid = ${callSid}`,
    );
    expect(routing?.caller_place).toEqual({ lat: null, lon: null, how: 'unknown' });
    expect(routing?.candidates[0]?.km).toBeNull();

    const [session] = await rows<Record<string, unknown>>(
      sql`select visitor_id, user_agent, landing_url, gclid, source, campaign_id from visitor_sessions where id = ${sessionId}`,
    );
    expect(session).toMatchObject({ visitor_id: null, user_agent: null, gclid: null });
    expect(session?.landing_url).not.toContain('gclid');
    expect(session).toMatchObject({ source: 'google', campaign_id: campaignId });
    expect(
      await rows(
        sql`select 1 from salesforce_sync where call_sid = ${callSid} and state <> 'synced'`,
      ),
    ).toHaveLength(0);
    expect(
      await rows(
        sql`select 1 from pgboss.job where data->>'callSid' = ${callSid} and name like 'salesforce.sync%'`,
      ),
    ).toHaveLength(0);

    // The other caller is untouched.
    const [untouched] = await rows<{ from_number: string }>(
      sql`select from_number from calls where call_sid = ${other.callSid}`,
    );
    expect(untouched?.from_number).toBe('+12065550199');
  });

  it('touches nothing when the same caller is erased again', async () => {
    const res = await request(app)
      .delete(`/api/v1/privacy/callers/${encodeURIComponent(caller)}`)
      .set('Authorization', admin)
      .expect(200);
    expect(Object.values(res.body.touched).every((n) => n === 0)).toBe(true);
  });

  it('records who asked and when in the audit log, never the number', async () => {
    const audit = await rows<Record<string, unknown>>(sql`select * from privacy_erasures`);
    expect(audit.length).toBeGreaterThanOrEqual(2);
    for (const row of audit) {
      expect(row.requested_by).toBe('env:LEADLINE_ADMIN_KEY');
      expect(JSON.stringify(row)).not.toMatch(/2065550142/);
    }
    expect(await ctx.erasure.wasErased(caller)).toBe(true);
    expect(await ctx.erasure.wasErased('+12065550100')).toBe(false);
    const list = await request(app)
      .get('/api/v1/privacy/erasures')
      .set('Authorization', admin)
      .expect(200);
    expect(JSON.stringify(list.body)).not.toMatch(/2065550142|numberHash|salt/);
  });

  it('keeps the number out of the logs, including the request URL', async () => {
    const all = logged.join('');
    expect(all).toContain('/api/v1/privacy/callers/');
    expect(all).not.toMatch(/2065550142/);
    expect(all).not.toMatch(/%2B1206/i);
  });

  it('refuses a number that is not E.164 with 400 and a marketer with 403', async () => {
    const bad = await request(app)
      .delete('/api/v1/privacy/callers/12345')
      .set('Authorization', admin)
      .expect(400);
    expect(bad.body.error.code).toBe('validation_failed');
    await request(app)
      .delete(`/api/v1/privacy/callers/${encodeURIComponent(caller)}`)
      .set('Authorization', marketer)
      .expect(403);
    await request(app)
      .delete(`/api/v1/privacy/callers/${encodeURIComponent(caller)}`)
      .expect(401);
  });
});
