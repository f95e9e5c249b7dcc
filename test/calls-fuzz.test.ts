import fc from 'fast-check';
import request from 'supertest';
import { sanitizeWebhookParams } from '../src/calls/calls.schemas';

const LONE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** String#toWellFormed (ES2024), which this project's TypeScript lib does not declare. */
const wellFormed = (v: string) => v.replace(LONE, '\uFFFD');
import { createTestContext, type TestContext } from './support/context';
import { postSignedWebhook } from './support/factories';
import { TEST_ACCOUNT_SID } from './support/twilio';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext({ twilio: true, env: { VOICE_DEADLINE_MS: '400' } });
});
afterAll(() => t.close());

const nasty = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x\udfff',
    '\ud83d\ude00',
    "'; drop table calls;--",
  ),
  fc.string({ unit: 'grapheme', minLength: 2000, maxLength: 9000 }),
  fc
    .date({ noInvalidDate: false })
    .map((d) => (Number.isNaN(d.getTime()) ? 'NaN' : d.toUTCString())),
  fc.constantFrom('Mon, 01 Jan -10000 00:00:00 +0000', '+275000-01-01T00:00:00Z', '300000', '-1'),
);
const paths = fc.constantFrom(
  '/twilio/voice',
  '/twilio/fallback',
  '/twilio/status',
  '/twilio/dial-status',
  '/twilio/recording',
);
const names = fc.constantFrom(
  'CallStatus',
  'Timestamp',
  'From',
  'To',
  'CallerName',
  'FromCity',
  'Direction',
  'DialCallStatus',
  'RecordingUrl',
  'RecordingStatus',
  'ParentCallSid',
  'SequenceNumber',
  'CallDuration',
  'Weird\u0000Name',
);

let seq = 0;
const sid = () => `CA${(0xf0000000 + ++seq).toString(16)}${'a'.repeat(24)}`;

describe('signed Twilio webhooks with generated parameters', () => {
  it('never answer 5xx, and every call acknowledged is recorded', async () => {
    const acknowledged = new Set<string>();
    const seen = new Map<string, unknown>();
    await fc.assert(
      fc.asyncProperty(paths, fc.dictionary(names, nasty, { maxKeys: 6 }), async (path, extra) => {
        const callSid = sid();
        // What the wire can carry: form encoding turns a lone surrogate into U+FFFD.
        const params = Object.fromEntries(
          Object.entries({ ...extra, CallSid: callSid, AccountSid: TEST_ACCOUNT_SID }).map(
            ([k, v]) => [wellFormed(k), wellFormed(v)],
          ),
        );
        const res = await postSignedWebhook(t.app, path, params);
        expect(res.status).toBeLessThan(500);
        if (res.status < 300 && !params.ParentCallSid) acknowledged.add(callSid);
        if (res.status < 300)
          seen.set(callSid, { path, params: JSON.stringify(params).slice(0, 300) });
      }),
      { numRuns: 80 },
    );
    expect(acknowledged.size).toBeGreaterThan(0);
    // Journaled webhooks are retried in the background: wait (bounded) until none is waiting.
    const drainedBy = Date.now() + 30_000;
    while ((await t.ctx.webhookRetry.flush()) > 0 && Date.now() < drainedBy);
    expect(t.ctx.webhookRetry.size()).toBe(0);
    const dead = await request(t.app)
      .get('/api/v1/calls/webhook-dead-letters?limit=500')
      .set('Authorization', t.admin);
    const deadLettered = new Set(
      (dead.body.deadLetters as { callSid: string | null }[]).map((d) => d.callSid),
    );
    const missing: string[] = [];
    for (const s of acknowledged) {
      const res = await request(t.app).get(`/api/v1/calls/${s}`).set('Authorization', t.admin);
      if (res.status !== 200 && !deadLettered.has(s)) {
        missing.push(`${s}: ${res.status} ${JSON.stringify(seen.get(s))}`);
      }
    }
    // Acknowledged means kept: in the database, or at worst in the dead-letter store.
    expect(missing).toEqual([]);
    // The edge drops what the database cannot store, so none of these inputs is a dead letter.
    expect(dead.body.deadLetters).toEqual([]);
  }, 120_000);
});

describe('sanitizeWebhookParams', () => {
  it('cuts a long To or From without leaving half a surrogate pair', () => {
    const emoji = '\ud83d\ude00';
    const cut = sanitizeWebhookParams({ To: `a${emoji.repeat(100)}`, From: emoji.repeat(100) });
    for (const v of [cut.To ?? '', cut.From ?? '']) {
      expect(wellFormed(v)).toBe(v);
      expect(v.length).toBeLessThanOrEqual(128);
    }
    expect(cut.To).toBe(`a${emoji.repeat(63)}`);
  });

  it('leaves no NUL or lone surrogate and keeps every other character', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' })),
        (p) => {
          for (const [k, v] of Object.entries(sanitizeWebhookParams(p))) {
            for (const text of [k, v]) {
              expect(text.includes('\u0000')).toBe(false);
              expect(wellFormed(text) === text).toBe(true);
            }
          }
          const original = Object.values(p).join('');
          const kept = wellFormed(original.replace(/\0/g, '')).replace(/\uFFFD/g, '');
          const sanitized = Object.values(sanitizeWebhookParams(p))
            .join('')
            .replace(/\uFFFD/g, '');
          if (Object.keys(sanitizeWebhookParams(p)).length === Object.keys(p).length) {
            expect(sanitized).toBe(kept);
          }
        },
      ),
    );
  });
});
