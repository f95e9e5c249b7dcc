import request from 'supertest';
import { createTestContext, type TestContext } from './support/context';
import { ManualClock } from './support/clock';
import { carrierFor } from './support/carrier';
import { buildCampaign, buildPool, buildSite } from './support/factories';
import type { CallOutcome } from '../src/demo/carrier/types';

const clock = new ManualClock('2026-06-01T15:00:00Z');
let t: TestContext;
let callerSeq = 0;
const newCaller = () => `+1312555${String(1000 + ++callerSeq).padStart(4, '0')}`;

beforeAll(async () => {
  t = await createTestContext({ twilio: true, clock });
});
afterAll(() => t.close());

const api = () => ({
  get: (path: string) => request(t.app).get(path).set('Authorization', t.admin),
  put: (path: string) => request(t.app).put(path).set('Authorization', t.admin),
  post: (path: string) => request(t.app).post(path).set('Authorization', t.admin),
});

async function campaignWithNumber() {
  const site = await buildSite(t.ctx);
  const campaign = await buildCampaign(t.ctx, { siteId: site.id, fallbackNumber: '+14155550177' });
  const [number] = await buildPool(t.ctx, campaign.id, 1);
  if (!number) throw new Error('no number provisioned');
  return { site, campaign, to: number.e164 };
}

async function placeCall(to: string, outcome: CallOutcome, talkSeconds = 200) {
  clock.advance(60_000);
  const placed = await carrierFor(t.app, clock).placeCall({
    from: newCaller(),
    to,
    outcome,
    fromZip: '60601',
    ringSeconds: 5,
    talkSeconds,
  });
  return placed.callSid;
}

/** Polls (bounded) until `check` returns a value. */
async function waitFor<T>(check: () => Promise<T | undefined>, what: string, ms = 15_000) {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Score {
  score: number;
  qualified: boolean;
  label: string;
  rulesVersion: number;
  explanation: { rule: string; points: number; facts: Record<string, unknown> }[];
}
const scoreOf = (sid: string, version = 0) =>
  waitFor(async () => {
    const res = await api().get(`/api/v1/calls/${sid}`).expect(200);
    const score = res.body.score as Score | null;
    return score && score.rulesVersion === version ? score : undefined;
  }, `the score of ${sid}`);

describe('GET/PUT /api/v1/scoring-rules', () => {
  it('gives a site created a moment ago the default rules as version 0', async () => {
    const site = await buildSite(t.ctx);
    const res = await api().get(`/api/v1/scoring-rules?siteId=${site.id}`).expect(200);
    expect(res.body).toMatchObject({ siteId: site.id, version: 0 });
    expect(res.body.rules.map((r: { id: string }) => r.id)).toEqual(
      expect.arrayContaining(['spam', 'answered', 'conversation', 'first-time']),
    );
  });

  it('takes back what GET gave as a new version, and answers with it', async () => {
    const site = await buildSite(t.ctx);
    const url = `/api/v1/scoring-rules?siteId=${site.id}`;
    const original = (await api().get(url).expect(200)).body;
    const first = await api().put(url).send(original).expect(200);
    expect(first.body).toEqual({ ...original, version: 1 });
    const edited = {
      ...first.body,
      rules: [
        ...first.body.rules,
        {
          id: 'chicago',
          name: 'Chicago caller',
          when: { fact: 'callerState', in: ['IL'] },
          points: 5,
        },
      ],
    };
    const second = await api().put(url).send(edited).expect(200);
    expect(second.body.version).toBe(2);
    expect((await api().get(url).expect(200)).body).toEqual({ ...edited, version: 2 });
  });

  it('refuses a bad rule with a 400 naming it and saves nothing', async () => {
    const site = await buildSite(t.ctx);
    const url = `/api/v1/scoring-rules?siteId=${site.id}`;
    const { rules } = (await api().get(url).expect(200)).body;
    const bad = [
      rules[0],
      rules[1],
      { id: 'typo', name: 'Typo', when: { all: [{ fact: 'talkSecs', gte: 60 }] }, points: 10 },
    ];
    const res = await api().put(url).send({ rules: bad }).expect(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.message).toContain('rules[2].when.all[0]: unknown fact "talkSecs"');
    expect((await api().get(url).expect(200)).body.version).toBe(0);
  });

  it('answers 404 for an unknown site and 400 without a site', async () => {
    await api()
      .get('/api/v1/scoring-rules?siteId=00000000-0000-4000-8000-000000000000')
      .expect(404);
    await api().get('/api/v1/scoring-rules').expect(400);
  });
});

describe('scoring finished calls', () => {
  it('scores a call through the queue once it has finished, with the reasons', async () => {
    const { to } = await campaignWithNumber();
    const sid = await placeCall(to, 'answered', 200);
    const score = await scoreOf(sid);
    // Default rules: answered 20 + a minute 25 + three minutes 20 + first-time 15.
    expect(score).toMatchObject({ score: 80, label: 'hot', qualified: true, rulesVersion: 0 });
    expect(score.explanation).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ rule: 'answered', points: 20, facts: { answered: true } }),
        expect.objectContaining({
          rule: 'long-conversation',
          points: 20,
          facts: { talkSeconds: 200 },
        }),
        expect.objectContaining({ rule: 'first-time', points: 15, facts: { firstTime: true } }),
      ]),
    );
  });

  it('filters the calls list by label and by qualified', async () => {
    const { campaign, to } = await campaignWithNumber();
    const hot = await placeCall(to, 'answered', 200);
    const cold = await placeCall(to, 'busy');
    await scoreOf(hot);
    await scoreOf(cold);
    const list = async (q: string) =>
      (await api().get(`/api/v1/calls?campaignId=${campaign.id}&${q}`).expect(200)).body.calls.map(
        (c: { callSid: string; score: Score }) => [c.callSid, c.score.label],
      );
    expect(await list('label=hot')).toEqual([[hot, 'hot']]);
    expect(await list('label=cold')).toEqual([[cold, 'cold']]);
    expect(await list('qualified=true')).toEqual([[hot, 'hot']]);
    expect(await list('qualified=false')).toEqual([[cold, 'cold']]);
    expect(await list('label=spam')).toEqual([]);
    await api().get('/api/v1/calls?qualified=maybe').expect(400);
  });

  it('pages through a label filter with the cursor, newest first', async () => {
    const { campaign, to } = await campaignWithNumber();
    const older = await placeCall(to, 'answered', 200);
    await scoreOf(await placeCall(to, 'busy'));
    const newer = await placeCall(to, 'answered', 200);
    await scoreOf(older);
    await scoreOf(newer);
    const page = (cursor?: string) =>
      api()
        .get(
          `/api/v1/calls?campaignId=${campaign.id}&label=hot&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        )
        .expect(200);
    const first = (await page()).body;
    expect(first.calls.map((c: { callSid: string }) => c.callSid)).toEqual([newer]);
    const second = (await page(first.nextCursor)).body;
    expect(second.calls.map((c: { callSid: string }) => c.callSid)).toEqual([older]);
    const third = second.nextCursor ? (await page(second.nextCursor)).body.calls : [];
    expect(third).toEqual([]);
  });

  it('rescores recent calls after a rule change and reports its progress', async () => {
    const { site, campaign, to } = await campaignWithNumber();
    const since = clock.now().toISOString();
    const sids = [await placeCall(to, 'answered', 30), await placeCall(to, 'no-answer')];
    for (const sid of sids) await scoreOf(sid);

    const url = `/api/v1/scoring-rules?siteId=${site.id}`;
    await api()
      .put(url)
      .send({
        rules: [
          {
            id: 'campaign-value',
            name: 'Spring campaign',
            when: { fact: 'campaign', in: [campaign.id] },
            points: { perCampaign: { [campaign.id]: 60 } },
            set: { label: 'spring' },
          },
        ],
      })
      .expect(200);
    const started = await api()
      .post('/api/v1/scoring-rules/rescore')
      .send({ siteId: site.id, since })
      .expect(202);
    const jobId = started.body.jobId as string;
    const progress = await waitFor(async () => {
      const res = await api().get(`/api/v1/scoring-rules/rescore/${jobId}`).expect(200);
      return res.body.state === 'completed' ? res.body : undefined;
    }, 'the rescore job');
    expect(progress).toMatchObject({ jobId, siteId: site.id, scored: 2 });
    for (const sid of sids) {
      const score = await scoreOf(sid, 1);
      expect(score).toMatchObject({ score: 60, label: 'spring', qualified: true });
      expect(score.explanation).toEqual([
        {
          rule: 'campaign-value',
          name: 'Spring campaign',
          points: 60,
          set: { label: 'spring' },
          facts: { campaignId: campaign.id },
        },
      ]);
    }
    await api()
      .get('/api/v1/scoring-rules/rescore/00000000-0000-4000-8000-000000000000')
      .expect(404);
  });
});
