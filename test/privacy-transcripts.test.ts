import request from 'supertest';
import { sql } from 'drizzle-orm';
import { createTestContext, type TestContext } from './support/context';
import { ManualClock } from './support/clock';
import { buildTrackedCampaign, postSignedWebhook, visitorHoldingNumber } from './support/factories';
import { TEST_ACCOUNT_SID } from './support/twilio';
import { createPrivacyRepo } from '../src/privacy/privacy.repo';
import { createRetentionService } from '../src/privacy/retention';
import { createLogger } from '../src/shared/logger';

const clock = new ManualClock('2026-06-01T15:00:00Z');
const DAY = 86_400_000;
let t: TestContext;

beforeAll(async () => {
  t = await createTestContext({
    twilio: true,
    clock,
    env: {
      TRANSCRIPT_RETENTION_DAYS: '30',
      CALLER_RETENTION_DAYS: '400',
      RECORDING_RETENTION_DAYS: '400',
      SESSION_RETENTION_DAYS: '400',
      DNI_RATE_LIMIT_PER_MINUTE: '10000',
    },
  });
});
afterAll(() => t.close());

const admin = () => ({
  put: (path: string) => request(t.app).put(path).set('Authorization', t.admin),
  del: (path: string) => request(t.app).delete(path).set('Authorization', t.admin),
});
const rows = <T>(q: ReturnType<typeof sql>) => t.ctx.database.rows<T>(q);

let seq = 0;
const SAID = 'my name is Jane Roe and I need a roof repair at 12 Elm Street';
const NOTE = 'Jane Roe, wants a quote for 12 Elm Street';
const OUTCOME = 'Called Jane back, booked for Tuesday';

interface Explained {
  rule: string;
  facts: Record<string, unknown>;
}

/**
 * A finished call from `caller` with a transcript, a score quoting it, a disposition note and a
 * closed follow-up with an outcome: every place routing and scoring keep what was said about them.
 */
async function talkedCall(caller: string) {
  const { site } = await buildTrackedCampaign(t.ctx, { poolSize: 1 });
  await admin()
    .put(`/api/v1/scoring-rules?siteId=${site.id}`)
    .send({
      rules: [
        {
          id: 'asks-for-repair',
          name: 'Asks for a repair',
          when: { fact: 'transcript', contains: ['roof repair'], track: 'inbound' },
          points: 30,
        },
      ],
    })
    .expect(200);
  const held = await visitorHoldingNumber(t.app, site.siteKey);
  const callSid = `CA${String(++seq).padStart(8, '0')}${'e'.repeat(24)}`;
  const base = {
    AccountSid: TEST_ACCOUNT_SID,
    CallSid: callSid,
    From: caller,
    To: held.number.e164,
  };
  await postSignedWebhook(t.app, '/twilio/voice', {
    ...base,
    CallStatus: 'ringing',
    Direction: 'inbound',
  }).expect(200);
  await postSignedWebhook(t.app, '/twilio/transcription', {
    AccountSid: TEST_ACCOUNT_SID,
    CallSid: callSid,
    TranscriptionSid: `GT${'0'.repeat(32)}`,
    Timestamp: clock.now().toISOString(),
    SequenceId: '1',
    TranscriptionEvent: 'transcription-content',
    LanguageCode: 'en-US',
    Track: 'inbound_track',
    TranscriptionData: JSON.stringify({ transcript: SAID, confidence: 0.9 }),
    Final: 'true',
  }).expect((res) => expect(res.status).toBeLessThan(300));
  await postSignedWebhook(t.app, '/twilio/status', {
    ...base,
    CallStatus: 'completed',
    CallDuration: '95',
  }).expect((res) => expect(res.status).toBeLessThan(300));
  await admin()
    .put(`/api/v1/calls/${callSid}/disposition`)
    .send({ disposition: 'qualified lead', note: NOTE })
    .expect(200);
  // Nobody answered, so routing opened a follow-up; an agent closes it with an outcome.
  await rows(sql`insert into follow_ups (call_sid, missed_at, state, outcome, closed_at)
                 values (${callSid}, now(), 'closed', ${OUTCOME}, now())
                 on conflict (call_sid) do update
                   set state = 'closed', outcome = excluded.outcome, closed_at = now()`);
  const scored = await t.ctx.scoring.scoreCall(callSid);
  return { callSid, score: scored?.score };
}

const explanationOf = async (callSid: string) =>
  ((await t.ctx.scoring.scoresFor([callSid])).get(callSid)?.explanation ?? []) as Explained[];
const quoteOf = async (callSid: string) =>
  (await explanationOf(callSid)).find((e) => e.rule === 'asks-for-repair')?.facts;
const transcriptOf = async (callSid: string) =>
  (await t.ctx.transcripts.transcriptsOf([callSid])).get(callSid) ?? [];
const notesOf = async (callSid: string) => ({
  disposition: (
    await rows<{ label: string; note: string | null }>(
      sql`select label, note from call_dispositions where call_sid = ${callSid}`,
    )
  )[0],
  followUp: (
    await rows<{ state: string; outcome: string | null }>(
      sql`select state, outcome from follow_ups where call_sid = ${callSid}`,
    )
  )[0],
});

describe('DELETE /api/v1/privacy/callers/:e164: transcripts, quotes and notes', () => {
  it('deletes what the caller said, its quotes in the explanation, and notes about the call', async () => {
    const erased = await talkedCall('+12065550401');
    const kept = await talkedCall('+12065550402');
    expect(await transcriptOf(erased.callSid)).toHaveLength(1);
    expect(await quoteOf(erased.callSid)).toMatchObject({
      term: 'roof repair',
      utterance: SAID,
      track: 'inbound',
    });

    const res = await admin().del('/api/v1/privacy/callers/%2B12065550401').expect(200);
    expect(res.body.touched).toMatchObject({ transcripts: 1, notes: 2 });

    expect(await transcriptOf(erased.callSid)).toEqual([]);
    const facts = await quoteOf(erased.callSid);
    expect(facts).toBeDefined();
    expect(facts).not.toHaveProperty('utterance');
    expect(facts).not.toHaveProperty('term');
    expect(JSON.stringify(await explanationOf(erased.callSid))).not.toContain('Jane');
    // The score itself stays, for the reports.
    expect((await t.ctx.scoring.scoresFor([erased.callSid])).get(erased.callSid)?.score).toBe(
      erased.score,
    );
    expect(await notesOf(erased.callSid)).toEqual({
      disposition: { label: 'qualified lead', note: null },
      followUp: { state: 'closed', outcome: '[erased]' },
    });

    // Another caller's call is untouched.
    expect(await transcriptOf(kept.callSid)).toHaveLength(1);
    expect(await quoteOf(kept.callSid)).toMatchObject({ utterance: SAID });
    expect(await notesOf(kept.callSid)).toMatchObject({
      disposition: { note: NOTE },
      followUp: { outcome: OUTCOME },
    });
  });

  it('touches nothing more when the same caller is erased again', async () => {
    await talkedCall('+12065550403');
    await admin().del('/api/v1/privacy/callers/%2B12065550403').expect(200);
    const again = await admin().del('/api/v1/privacy/callers/%2B12065550403').expect(200);
    expect(again.body.touched).toMatchObject({ transcripts: 0, notes: 0, scores: 0 });
  });
});

describe('privacy.retention: TRANSCRIPT_RETENTION_DAYS', () => {
  it('deletes transcripts older than the period and their quotes, keeping the call and its score', async () => {
    const old = await talkedCall('+12065550411');
    const fresh = await talkedCall('+12065550412');
    await rows(
      sql`update call_transcripts set at = at - interval '31 days' where call_sid = ${old.callSid}`,
    );

    const touched = await t.ctx.retention.run();
    expect(touched.transcripts).toBe(1);

    expect(await transcriptOf(old.callSid)).toEqual([]);
    const facts = await quoteOf(old.callSid);
    expect(facts).not.toHaveProperty('utterance');
    expect(facts).not.toHaveProperty('term');
    expect((await t.ctx.scoring.scoresFor([old.callSid])).get(old.callSid)?.score).toBe(old.score);
    // Caller data has its own, longer period: the call still knows its caller.
    const [call] = await rows<{ from_number: string | null }>(
      sql`select from_number from calls where call_sid = ${old.callSid}`,
    );
    expect(call?.from_number).toBe('+12065550411');

    expect(await transcriptOf(fresh.callSid)).toHaveLength(1);
    expect(await quoteOf(fresh.callSid)).toMatchObject({ utterance: SAID });

    // A second run (the job may run twice) finds nothing more.
    clock.advance(DAY);
    expect((await t.ctx.retention.run()).transcripts).toBe(0);
  });

  it('deletes the transcript with the caller when the caller period is the shorter one', async () => {
    const call = await talkedCall('+12065550421');
    // The same features, with a caller period shorter than the transcript period.
    const retention = createRetentionService({
      holders: t.ctx,
      repo: createPrivacyRepo(t.ctx.database.db),
      periods: { callerDays: 5, transcriptDays: 365, recordingDays: 365, sessionDays: 365 },
      clock,
      log: createLogger('silent'),
    });
    await rows(
      sql`update calls set started_at = started_at - interval '6 days' where call_sid = ${call.callSid}`,
    );

    const touched = await retention.run();
    expect(touched.transcripts).toBeGreaterThanOrEqual(1);
    expect(await transcriptOf(call.callSid)).toEqual([]);
    expect(await quoteOf(call.callSid)).not.toHaveProperty('utterance');
    expect(await notesOf(call.callSid)).toMatchObject({
      disposition: { note: null },
      followUp: { outcome: '[erased]' },
    });
  });
});
