import request from 'supertest';
import { createTestContext, type TestContext } from './support/context';
import { ManualClock } from './support/clock';
import { buildTrackedCampaign, postSignedWebhook } from './support/factories';
import { TEST_ACCOUNT_SID } from './support/twilio';

// Monday 1 June 2026, 15:00 UTC: 08:00 in Los Angeles, 11:00 in New York.
const clock = new ManualClock('2026-06-01T15:00:00Z');
let t: TestContext;
let sidSeq = 0;
const newSid = () => `CA${(++sidSeq).toString(16).padStart(6, '0')}${'b'.repeat(26)}`;

beforeAll(async () => {
  t = await createTestContext({ twilio: true, clock });
});
afterAll(() => t.close());

const api = () => ({
  post: (path: string, body: object) =>
    request(t.app).post(`/api/v1${path}`).set('Authorization', t.admin).send(body),
  patch: (path: string, body: object) =>
    request(t.app).patch(`/api/v1${path}`).set('Authorization', t.admin).send(body),
  get: (path: string) => request(t.app).get(`/api/v1${path}`).set('Authorization', t.admin),
});

async function availableAgent(body: Record<string, unknown>) {
  const res = await api()
    .post('/agents', { timezone: 'America/Los_Angeles', ...body })
    .expect(201);
  await t.ctx.agents.setPresence(res.body.id, 'available');
  return res.body as { id: string; phone: string; token: string };
}

function voice(to: string, params: Record<string, string>) {
  const callSid = params.CallSid ?? newSid();
  return postSignedWebhook(t.app, '/twilio/voice', {
    CallSid: callSid,
    AccountSid: TEST_ACCOUNT_SID,
    To: to,
    CallStatus: 'ringing',
    Direction: 'inbound',
    From: '+12065550123',
    ...params,
  })
    .expect(200)
    .then((res) => ({ callSid, twiml: res.text }));
}

function dialResult(callSid: string, to: string, status: string, dialCallSid: string) {
  return postSignedWebhook(t.app, '/twilio/dial-status', {
    CallSid: callSid,
    AccountSid: TEST_ACCOUNT_SID,
    To: to,
    From: '+12065550123',
    CallStatus: 'in-progress',
    DialCallStatus: status,
    DialCallSid: dialCallSid,
    DialCallDuration: '0',
  })
    .expect(200)
    .then((res) => res.text);
}

describe('POST/GET/PATCH /api/v1/agents', () => {
  it('creates an agent from a ZIP and shows the console token only once', async () => {
    const res = await api()
      .post('/agents', {
        name: 'Dana',
        phone: '+12065550111',
        zip: '98101',
        timezone: 'America/Los_Angeles',
        hours: { mon: [['09:00', '17:00']] },
      })
      .expect(201);
    expect(res.body).toMatchObject({
      name: 'Dana',
      active: true,
      presence: 'offline',
      campaignIds: [],
    });
    expect(res.body.lat).toBeCloseTo(47.6, 0);
    expect(res.body.hours).toEqual({ '1': [['09:00', '17:00']] });
    expect(res.body.token).toMatch(/^ll_agent_/);
    const list = await api().get('/agents').expect(200);
    const listed = list.body.agents.find((a: { id: string }) => a.id === res.body.id);
    expect(listed).toBeDefined();
    expect(JSON.stringify(list.body)).not.toContain(res.body.token);
    expect(await t.ctx.agents.authenticate(res.body.token)).toMatchObject({ id: res.body.id });
  });

  it.each([
    [{ phone: '+12065550111', zip: '98101', timezone: 'Mars/Olympus' }, 'timezone'],
    [{ phone: '+12065550111', timezone: 'America/Chicago' }, 'zip'],
    [{ phone: '12065550111', zip: '98101', timezone: 'America/Chicago' }, 'phone'],
    [{ phone: '+12065550111', lat: 40, timezone: 'America/Chicago' }, 'lon'],
    [{ phone: '+12065550111', zip: '00000', timezone: 'America/Chicago' }, 'zip'],
    [
      {
        phone: '+12065550111',
        zip: '98101',
        timezone: 'UTC',
        hours: { mon: [['17:00', '09:00']] },
      },
      'hours.mon.0',
    ],
  ])('answers 400 naming the bad field for %p', async (body, field) => {
    const res = await api()
      .post('/agents', { name: 'Bad', ...body })
      .expect(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.message).toContain(`${field}:`);
  });

  it('edits an agent and rotates the console token', async () => {
    const created = (
      await api()
        .post('/agents', { name: 'Eli', phone: '+12065550112', zip: '98101', timezone: 'UTC' })
        .expect(201)
    ).body as { id: string; token: string };
    const patched = await api()
      .patch(`/agents/${created.id}`, { zip: '97201', active: false })
      .expect(200);
    expect(patched.body).toMatchObject({ zip: '97201', active: false });
    expect(patched.body.lat).toBeCloseTo(45.5, 0);
    const rotated = await api().post(`/agents/${created.id}/token`, {}).expect(201);
    await api().patch(`/agents/${created.id}`, { active: true }).expect(200);
    expect(await t.ctx.agents.authenticate(created.token)).toBeUndefined();
    expect(await t.ctx.agents.authenticate(rotated.body.token)).toMatchObject({ id: created.id });
  });
});

describe('routing a call to the nearest available agent', () => {
  it('dials the nearest agent, then the next on no answer, then the fallback, then voicemail', async () => {
    const { campaign, numbers } = await buildTrackedCampaign(t.ctx, {
      campaign: { fallbackNumber: '+14155550166' },
    });
    await api()
      .patch(`/campaigns/${campaign.id}`, { maxAgentAttempts: 2, dialTimeoutSeconds: 15 })
      .expect(200);
    const to = numbers[0]?.e164 ?? '';
    const only = { campaignIds: [campaign.id] };
    const seattle = await availableAgent({
      name: 'Sea',
      phone: '+12065550201',
      zip: '98101',
      ...only,
    });
    const portland = await availableAgent({
      name: 'Pdx',
      phone: '+15035550202',
      zip: '97201',
      ...only,
    });
    const sf = await availableAgent({ name: 'Sfo', phone: '+14155550203', zip: '94103', ...only });

    // A caller in Seattle: the Seattle agent rings, for the campaign's 15 s.
    const first = await voice(to, { FromZip: '98109', FromCity: 'SEATTLE', FromState: 'WA' });
    expect(first.twiml).toContain(`>${seattle.phone}</Number>`);
    expect(first.twiml).toContain('timeout="15"');

    // A second caller meanwhile: Seattle is busy, so Portland.
    const second = await voice(to, { FromZip: '98101', From: '+12065550999' });
    expect(second.twiml).toContain(`>${portland.phone}</Number>`);

    // Seattle does not answer the first call: the next nearest free agent is San Francisco.
    const next = await dialResult(first.callSid, to, 'no-answer', 'CAdial1');
    expect(next).toContain(`>${sf.phone}</Number>`);
    // Twilio's retry of the same dial result gets the same answer, not a third agent.
    expect(await dialResult(first.callSid, to, 'no-answer', 'CAdial1')).toContain(
      `>${sf.phone}</Number>`,
    );
    // Two agents tried (the campaign's limit): the fallback number, then voicemail.
    expect(await dialResult(first.callSid, to, 'busy', 'CAdial2')).toContain(
      '>+14155550166</Number>',
    );
    expect(await dialResult(first.callSid, to, 'no-answer', 'CAdial3')).toContain('<Record');

    const call = await api().get(`/calls/${first.callSid}`).expect(200);
    expect(call.body.routing.callerPlace).toMatchObject({
      how: 'zip',
      city: 'Seattle',
      state: 'WA',
    });
    expect(call.body.routing.candidates[0]).toEqual({
      agentId: seattle.id,
      km: expect.any(Number),
    });
    expect(call.body.routing.attempts).toEqual([
      expect.objectContaining({ kind: 'agent', agentId: seattle.id, outcome: 'no-answer' }),
      expect.objectContaining({ kind: 'agent', agentId: sf.id, outcome: 'busy' }),
      expect.objectContaining({ kind: 'fallback', number: '+14155550166', outcome: 'no-answer' }),
      expect.objectContaining({ kind: 'voicemail' }),
    ]);
    // Agents who did not answer are free again; Portland is still on the second call.
    const agents = (await api().get('/agents').expect(200)).body.agents as {
      id: string;
      onCall: boolean;
    }[];
    const onCall = (id: string) => agents.find((a) => a.id === id)?.onCall;
    expect([onCall(seattle.id), onCall(sf.id), onCall(portland.id)]).toEqual([false, false, true]);

    // The second call ends: Portland is free.
    await postSignedWebhook(t.app, '/twilio/status', {
      CallSid: second.callSid,
      AccountSid: TEST_ACCOUNT_SID,
      To: to,
      From: '+12065550999',
      CallStatus: 'completed',
      CallDuration: '42',
      SequenceNumber: '3',
    }).expect(204);
    const after = await api().get(`/agents/${portland.id}`).expect(200);
    expect(after.body.onCall).toBe(false);
  });

  it('never dials one agent for two simultaneous calls', async () => {
    const { campaign, numbers } = await buildTrackedCampaign(t.ctx);
    const agent = await availableAgent({
      name: 'Solo',
      phone: '+17135550701',
      zip: '77002',
      campaignIds: [campaign.id],
    });
    const to = numbers[0]?.e164 ?? '';
    const calls = await Promise.all(
      Array.from({ length: 6 }, (_, i) => voice(to, { FromZip: '77002', From: `+1713555080${i}` })),
    );
    const dialled = calls.filter((c) => c.twiml.includes(`>${agent.phone}</Number>`));
    expect(dialled).toHaveLength(1);
    expect(
      calls.filter((c) => c.twiml.includes(`>${campaign.fallbackNumber}</Number>`)),
    ).toHaveLength(5);
  });

  it('says sorry instead of voicemail when the campaign turned voicemail off', async () => {
    const { campaign, numbers } = await buildTrackedCampaign(t.ctx);
    await api()
      .patch(`/campaigns/${campaign.id}`, { voicemail: false, maxAgentAttempts: 0 })
      .expect(200);
    const to = numbers[0]?.e164 ?? '';
    const call = await voice(to, { FromZip: '10001' });
    expect(call.twiml).toContain('>+14155550199</Number>');
    const after = await dialResult(call.callSid, to, 'no-answer', 'CAdial9');
    expect(after).not.toContain('<Record');
    expect(after).toContain('<Say');
  });

  it('sends a caller nobody can locate to the agent who has waited longest', async () => {
    const { campaign, numbers } = await buildTrackedCampaign(t.ctx);
    const only = { campaignIds: [campaign.id] };
    const waitedLong = await availableAgent({
      name: 'Old',
      phone: '+13125550301',
      zip: '60601',
      ...only,
    });
    // Less than the heartbeat timeout, so the first agent's console still counts as connected.
    clock.advance(20_000);
    await availableAgent({ name: 'New', phone: '+12125550302', zip: '10001', ...only });
    clock.advance(1_000);
    const call = await voice(numbers[0]?.e164 ?? '', { From: '+447700900123' });
    expect(call.twiml).toContain(`>${waitedLong.phone}</Number>`);
    const routing = (await api().get(`/calls/${call.callSid}`).expect(200)).body.routing;
    expect(routing.callerPlace.how).toBe('unknown');
  });

  it('rings the fallback number when no agent may take the campaign', async () => {
    const { campaign, numbers } = await buildTrackedCampaign(t.ctx);
    const other = await buildTrackedCampaign(t.ctx);
    await availableAgent({
      name: 'Else',
      phone: '+12065550401',
      zip: '98101',
      campaignIds: [other.campaign.id],
    });
    const call = await voice(numbers[0]?.e164 ?? '', { FromZip: '98101' });
    expect(call.twiml).toContain(`>${campaign.fallbackNumber}</Number>`);
  });
});
