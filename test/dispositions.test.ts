import request from 'supertest';
import { createTestContext, type TestContext } from './support/context';
import { buildTrackedCampaign, postSignedWebhook } from './support/factories';
import { TEST_ACCOUNT_SID } from './support/twilio';

let t: TestContext;
let sidSeq = 0;
const newSid = () => `CA${(++sidSeq).toString(16).padStart(6, '0')}${'c'.repeat(26)}`;

beforeAll(async () => {
  t = await createTestContext({ twilio: true });
});
afterAll(() => t.close());

const api = (auth = t.admin) => ({
  put: (path: string, body: object) =>
    request(t.app).put(`/api/v1${path}`).set('Authorization', auth).send(body),
  get: (path: string) => request(t.app).get(`/api/v1${path}`).set('Authorization', auth),
});

/** A call to a tracked number that rang the fallback (no agents) and completed after 90 s. */
async function finishedCall() {
  const { site, campaign, numbers } = await buildTrackedCampaign(t.ctx);
  const to = numbers[0]?.e164 ?? '';
  const callSid = newSid();
  const base = { CallSid: callSid, AccountSid: TEST_ACCOUNT_SID, To: to, From: '+12065550123' };
  await postSignedWebhook(t.app, '/twilio/voice', {
    ...base,
    CallStatus: 'ringing',
    Direction: 'inbound',
  }).expect(200);
  await postSignedWebhook(t.app, '/twilio/status', {
    ...base,
    CallStatus: 'completed',
    CallDuration: '90',
    Direction: 'inbound',
  }).expect(204);
  return { site, campaign, callSid };
}

describe('PUT /api/v1/calls/:sid/disposition', () => {
  it('stores the configured label whatever its case, with the note, and the calls API shows it', async () => {
    const { callSid, campaign } = await finishedCall();
    const res = await api()
      .put(`/calls/${callSid}/disposition`, {
        disposition: '  Qualified LEAD ',
        note: 'wants a quote',
      })
      .expect(200);
    expect(res.body.disposition).toMatchObject({ label: 'qualified lead', note: 'wants a quote' });

    const one = await api().get(`/calls/${callSid}`).expect(200);
    expect(one.body.disposition).toMatchObject({ label: 'qualified lead', note: 'wants a quote' });
    expect(typeof one.body.disposition.at).toBe('string');

    const list = await api().get(`/calls?campaignId=${campaign.id}`).expect(200);
    const item = list.body.calls.find((c: { callSid: string }) => c.callSid === callSid);
    expect(item.disposition).toMatchObject({ label: 'qualified lead' });
    // Routing's decision rides on list items too (no agents: the fallback was dialled).
    expect(item.routing).toMatchObject({ winner: null, attempts: [{ kind: 'fallback' }] });
  });

  it('replaces the previous disposition and clears the note when none is given', async () => {
    const { callSid } = await finishedCall();
    await api()
      .put(`/calls/${callSid}/disposition`, { disposition: 'spam', note: 'x' })
      .expect(200);
    await api().put(`/calls/${callSid}/disposition`, { disposition: 'not a lead' }).expect(200);
    const one = await api().get(`/calls/${callSid}`).expect(200);
    expect(one.body.disposition).toMatchObject({ label: 'not a lead', note: null });
  });

  it('answers 400 naming the field for an unknown label or a long note, and stores nothing', async () => {
    const { callSid } = await finishedCall();
    const bad = await api()
      .put(`/calls/${callSid}/disposition`, { disposition: 'maybe later' })
      .expect(400);
    expect(bad.body.error.details).toEqual([
      expect.objectContaining({ field: 'disposition', message: expect.stringContaining('spam') }),
    ]);
    const long = await api()
      .put(`/calls/${callSid}/disposition`, { disposition: 'spam', note: 'n'.repeat(501) })
      .expect(400);
    expect(long.body.error.details).toEqual([expect.objectContaining({ field: 'note' })]);
    expect((await api().get(`/calls/${callSid}`).expect(200)).body.disposition).toBeNull();
  });

  it('answers 404 for a call Leadline does not know, and 400 for a malformed sid', async () => {
    const res = await api()
      .put(`/calls/CA${'0'.repeat(32)}/disposition`, { disposition: 'spam' })
      .expect(404);
    expect(res.body.error.code).toBe('call_not_found');
    await api().put('/calls/not-a-sid/disposition', { disposition: 'spam' }).expect(400);
  });

  it('takes an admin key only', async () => {
    const { callSid } = await finishedCall();
    const marketer = await t.ctx.keys.createKey('marketer', 'reports');
    await api(`Bearer ${marketer.key}`)
      .put(`/calls/${callSid}/disposition`, { disposition: 'spam' })
      .expect(403);
    await request(t.app)
      .put(`/api/v1/calls/${callSid}/disposition`)
      .send({ disposition: 'spam' })
      .expect(401);
  });

  it('rescores the call: a disposition rule counts once the label is set', async () => {
    const { site, callSid } = await finishedCall();
    const url = `/scoring-rules?siteId=${site.id}`;
    const rules = (await api().get(url).expect(200)).body;
    const booked = {
      id: 'booked',
      name: 'Appointment booked',
      when: { fact: 'disposition', in: ['appointment booked'] },
      points: 50,
    };
    await api()
      .put(url, { ...rules, rules: [...rules.rules, booked] })
      .expect(200);
    const before = await t.ctx.scoring.scoreCall(callSid);
    expect(before?.explanation.map((e) => e.rule)).not.toContain('booked');

    await api()
      .put(`/calls/${callSid}/disposition`, { disposition: 'Appointment Booked' })
      .expect(200);
    // The queued call.score job rescores it; wait for the worker rather than scoring by hand.
    let matched: string[] = [];
    for (let i = 0; i < 150 && !matched.includes('booked'); i++) {
      const score = (await api().get(`/calls/${callSid}`).expect(200)).body.score;
      matched = (score?.explanation ?? []).map((e: { rule: string }) => e.rule);
      if (!matched.includes('booked')) await new Promise((r) => setTimeout(r, 100));
    }
    expect(matched).toContain('booked');
  }, 30_000);
});
