import request from 'supertest';
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { createTestContext, type TestContext } from './support/context';
import { buildTrackedCampaign } from './support/factories';

const ORIGIN = 'https://fuzz.example.com';
let t: TestContext;
let siteKey = '';

beforeAll(async () => {
  t = await createTestContext({ env: { DNI_RATE_LIMIT_PER_MINUTE: '100000' } });
  siteKey = (await buildTrackedCampaign(t.ctx, { poolSize: 5, origin: ORIGIN })).site.siteKey;
});
afterAll(() => t.close());

const sessions = async () =>
  (
    await t.ctx.database.rows<{ n: number }>(
      sql.raw('select count(*)::int as n from visitor_sessions'),
    )
  )[0]?.n;

// Strings a browser, a bot or an attacker might send: NUL, lone surrogates, huge, odd URLs.
const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('\u0000', 'a\u0000b', '\uD800', 'x\uDFFFy', '\uDBFF\uDC00', ''),
  fc.constant('x'.repeat(20_000)),
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.constantFrom(
    `${ORIGIN}/?utm_source=${'%00'.repeat(10)}`,
    `${ORIGIN}/%E0%A4%A`,
    'javascript:alert(1)',
    'data:text/html,<script>1</script>',
    `${ORIGIN}:99999/`,
    '//fuzz.example.com/',
    `${ORIGIN}/?gclid=${'A'.repeat(3000)}`,
  ),
);
const visitorIds = fc.oneof(
  fc.constantFrom('GA1.2.1234567890.1700000000', 'GA1.1.98765.1690000000', 'v_', 'v_\u0000'),
  fc.stringMatching(/^v_[A-Za-z0-9_-]{1,40}$/),
  nasty,
);
const wrongType = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.object({ maxDepth: 1 }),
);
const field = (s: fc.Arbitrary<unknown>) => fc.option(fc.oneof(s, wrongType), { nil: undefined });
const body = fc.record(
  {
    siteKey: fc.oneof(fc.constant('SITE'), field(nasty)),
    visitorId: field(visitorIds),
    landingUrl: fc.oneof(fc.constant(`${ORIGIN}/`), field(nasty)),
    referrer: field(nasty),
    userAgent: field(nasty),
    anonymous: field(fc.boolean()),
  },
  { requiredKeys: [] },
);

describe('POST /dni/v1/sessions under generated bodies', () => {
  it('never answers 5xx; a 4xx has the error shape and writes no session', async () => {
    await fc.assert(
      fc.asyncProperty(body, async (generated) => {
        const sent = { ...generated, ...(generated.siteKey === 'SITE' ? { siteKey } : {}) };
        const before = await sessions();
        const res = await request(t.app)
          .post('/dni/v1/sessions')
          .set('Origin', ORIGIN)
          .set('Content-Type', 'application/json')
          .send(JSON.stringify(sent));
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) {
          expect(res.body).toMatchObject({
            error: { code: expect.stringMatching(/^[a-z_]+$/), message: expect.any(String) },
          });
          expect(await sessions()).toBe(before);
        } else {
          expect(res.status).toBe(200);
          // Anonymous visitors get no visitor id, by design.
          expect(['string', 'object']).toContain(typeof res.body.visitorId);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('refuses raw bodies that are not JSON objects without a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), fc.constantFrom('[]', 'null', '1', '"x"', '{')),
        async (raw) => {
          const before = await sessions();
          const res = await request(t.app)
            .post('/dni/v1/sessions')
            .set('Origin', ORIGIN)
            .set('Content-Type', 'text/plain')
            .send(raw);
          expect(res.status).toBeGreaterThanOrEqual(400);
          expect(res.status).toBeLessThan(500);
          expect(res.body.error?.code).toEqual(expect.any(String));
          expect(await sessions()).toBe(before);
        },
      ),
      { numRuns: 50 },
    );
  });
});
