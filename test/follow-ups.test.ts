import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { io as connect, type Socket } from 'socket.io-client';
import { createTestContext, type TestContext } from './support/context';
import { ManualClock } from './support/clock';
import { buildTrackedCampaign, postSignedWebhook } from './support/factories';
import { TEST_ACCOUNT_SID } from './support/twilio';
import { attachAgentSockets, type AgentSockets } from '../src/routing/agent-sockets';

const clock = new ManualClock('2026-06-01T15:00:00Z');
const CALLER = '+12065550123';
let t: TestContext;
let server: http.Server;
let sockets: AgentSockets;
let baseUrl: string;
const opened: Socket[] = [];
let sidSeq = 0;
const newSid = () => `CA${(++sidSeq).toString(16).padStart(6, '0')}${'f'.repeat(26)}`;

beforeAll(async () => {
  t = await createTestContext({ twilio: true, clock });
  server = http.createServer(t.app);
  sockets = attachAgentSockets(server, t.ctx);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of opened) s.disconnect();
  await sockets.close();
  await new Promise((resolve) => server.close(resolve));
  await t.close();
});

interface FollowUpItem {
  callSid: string;
  state: string;
  campaign: { id: string; name: string | null };
  caller: { number: string | null };
}

/** A console whose latest follow-up list is kept in `latest`. */
async function console_(token: string) {
  const socket = connect(`${baseUrl}/agents`, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
  });
  opened.push(socket);
  const seen = { latest: [] as FollowUpItem[], lists: 0 };
  socket.on('follow-ups', (e: { followUps: FollowUpItem[] }) => {
    seen.latest = e.followUps;
    seen.lists++;
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, seen };
}

async function until(what: () => boolean) {
  for (let i = 0; i < 100 && !what(); i++) await new Promise((r) => setTimeout(r, 20));
  expect(what()).toBe(true);
}

async function createAgent(body: Record<string, unknown>) {
  const res = await request(t.app)
    .post('/api/v1/agents')
    .set('Authorization', t.admin)
    .send({ timezone: 'America/Chicago', ...body })
    .expect(201);
  return res.body as { id: string; token: string; phone: string };
}

/**
 * A call nobody answered: the fallback rang out, the caller hung up at voicemail. `firstHook`
 * '/twilio/fallback' is a call whose voice webhook Twilio could not reach (its VoiceFallbackUrl).
 */
async function missedCall(
  to: string,
  firstHook: '/twilio/voice' | '/twilio/fallback' = '/twilio/voice',
) {
  const callSid = newSid();
  const base = { CallSid: callSid, AccountSid: TEST_ACCOUNT_SID, To: to, From: CALLER };
  await postSignedWebhook(t.app, firstHook, {
    ...base,
    CallStatus: 'ringing',
    Direction: 'inbound',
  }).expect(200);
  const next = await postSignedWebhook(t.app, '/twilio/dial-status', {
    ...base,
    CallStatus: 'in-progress',
    DialCallStatus: 'no-answer',
    DialCallSid: `CA${'9'.repeat(8)}${callSid.slice(10)}`,
    DialCallDuration: '0',
  }).expect(200);
  expect(next.text).toContain('<Record');
  await postSignedWebhook(t.app, '/twilio/status', {
    ...base,
    CallStatus: 'completed',
    CallDuration: '25',
    Direction: 'inbound',
  }).expect(204);
  return callSid;
}

async function answeredCall(to: string) {
  const callSid = newSid();
  const base = { CallSid: callSid, AccountSid: TEST_ACCOUNT_SID, To: to, From: CALLER };
  await postSignedWebhook(t.app, '/twilio/voice', {
    ...base,
    CallStatus: 'ringing',
    Direction: 'inbound',
  }).expect(200);
  await postSignedWebhook(t.app, '/twilio/dial-status', {
    ...base,
    CallStatus: 'in-progress',
    DialCallStatus: 'completed',
    DialCallSid: `CA${'8'.repeat(8)}${callSid.slice(10)}`,
    DialCallDuration: '60',
  }).expect(200);
  await postSignedWebhook(t.app, '/twilio/status', {
    ...base,
    CallStatus: 'completed',
    CallDuration: '70',
    Direction: 'inbound',
  }).expect(204);
  return callSid;
}

const report = () =>
  request(t.app).get('/api/v1/reports/follow-ups').set('Authorization', t.admin).expect(200);

describe('missed-call follow-ups', () => {
  it('lists a missed call to eligible agents, lets one claim it, calls back through Twilio and closes it; the report measures the wait', async () => {
    const { campaign, numbers } = await buildTrackedCampaign(t.ctx);
    const other = await buildTrackedCampaign(t.ctx);
    const tracking = numbers[0]?.e164 ?? '';
    const ann = await createAgent({
      name: 'Ann',
      phone: '+13125550601',
      zip: '60601',
      campaignIds: [campaign.id],
    });
    const bo = await createAgent({
      name: 'Bo',
      phone: '+13125550602',
      zip: '60601',
      campaignIds: [campaign.id],
    });
    const cy = await createAgent({
      name: 'Cy',
      phone: '+13125550603',
      zip: '60601',
      campaignIds: [other.campaign.id],
    });
    const annConsole = await console_(ann.token);
    const boConsole = await console_(bo.token);
    const cyConsole = await console_(cy.token);

    const answered = await answeredCall(tracking);
    const missed = await missedCall(tracking);
    await until(() => annConsole.seen.latest.some((f) => f.callSid === missed));
    await until(() => boConsole.seen.latest.some((f) => f.callSid === missed));
    const item = annConsole.seen.latest.find((f) => f.callSid === missed);
    expect(item).toMatchObject({
      state: 'open',
      campaign: { id: campaign.id, name: campaign.name },
      caller: { number: CALLER },
    });
    expect(annConsole.seen.latest.some((f) => f.callSid === answered)).toBe(false);
    // Cy takes another campaign's calls: not listed, and may not claim it.
    expect(cyConsole.seen.latest.some((f) => f.callSid === missed)).toBe(false);
    expect(
      await cyConsole.socket.emitWithAck('follow-up:claim', { callSid: missed }),
    ).toMatchObject({
      ok: false,
      code: 'forbidden',
    });

    // Ann and Bo claim at the same moment: exactly one wins.
    const claims = await Promise.all([
      annConsole.socket.emitWithAck('follow-up:claim', { callSid: missed }),
      boConsole.socket.emitWithAck('follow-up:claim', { callSid: missed }),
    ]);
    expect(claims.filter((c: { ok: boolean }) => c.ok)).toHaveLength(1);
    expect(claims.find((c: { ok: boolean }) => !c.ok)).toMatchObject({ code: 'already_claimed' });
    const [winner, loser] = claims[0].ok ? [annConsole, boConsole] : [boConsole, annConsole];
    const winnerPhone = claims[0].ok ? ann.phone : bo.phone;
    await until(() => !loser.seen.latest.some((f) => f.callSid === missed));

    // The loser may neither call back nor close it.
    expect(await loser.socket.emitWithAck('follow-up:call', { callSid: missed })).toMatchObject({
      ok: false,
      code: 'follow_up_not_claimed',
    });

    clock.advance(3 * 60_000);
    const placedBefore = t.twilio?.state.calls.length ?? 0;
    expect(await winner.socket.emitWithAck('follow-up:call', { callSid: missed })).toMatchObject({
      ok: true,
    });
    const placed = t.twilio?.state.calls.slice(placedBefore) ?? [];
    expect(placed).toEqual([
      expect.objectContaining({
        to: winnerPhone,
        from: tracking,
        url: `https://leadline.test/twilio/follow-ups/${missed}/bridge`,
        statusCallback: `https://leadline.test/twilio/follow-ups/${missed}/status`,
      }),
    ]);

    // The agent answered: Twilio asks for the TwiML that bridges the caller.
    const bridgeParams = {
      CallSid: placed[0]?.sid ?? '',
      AccountSid: TEST_ACCOUNT_SID,
      CallStatus: 'in-progress',
      To: winnerPhone,
      From: tracking,
    };
    const bridge = await postSignedWebhook(
      t.app,
      `/twilio/follow-ups/${missed}/bridge`,
      bridgeParams,
    ).expect(200);
    expect(bridge.text).toContain(`<Dial callerId="${tracking}">${CALLER}</Dial>`);
    await request(t.app)
      .post(`/twilio/follow-ups/${missed}/bridge`)
      .type('form')
      .send(bridgeParams)
      .expect(403);

    // Calling back lets the agent disposition the call they never took; nobody else may.
    expect(
      await loser.socket.emitWithAck('disposition', { callSid: missed, disposition: 'spam' }),
    ).toMatchObject({ ok: false, code: 'forbidden' });
    expect(
      await winner.socket.emitWithAck('disposition', {
        callSid: missed,
        disposition: 'qualified lead',
      }),
    ).toMatchObject({ ok: true, disposition: { label: 'qualified lead' } });

    expect(
      await winner.socket.emitWithAck('follow-up:close', {
        callSid: missed,
        outcome: 'booked a visit',
      }),
    ).toMatchObject({ ok: true });
    await until(() => !winner.seen.latest.some((f) => f.callSid === missed));

    const row = (await report()).body.campaigns.find(
      (c: { campaignId: string }) => c.campaignId === campaign.id,
    );
    expect(row).toEqual({
      campaignId: campaign.id,
      campaignName: campaign.name,
      missed: 1,
      open: 0,
      overdue: 0,
      calledBack: 1,
      medianSecondsToCallback: 180,
      p90SecondsToCallback: 180,
    });
  });

  it('follows up a missed call Leadline could only send to the fallback number (no routing decision)', async () => {
    const { campaign, numbers } = await buildTrackedCampaign(t.ctx);
    const to = numbers[0]?.e164 ?? '';
    // Twilio could not reach /twilio/voice and used the number's VoiceFallbackUrl: the caller
    // rang the campaign's fallback number, which nobody answered.
    const missed = await missedCall(to, '/twilio/fallback');
    const call = await request(t.app)
      .get(`/api/v1/calls/${missed}`)
      .set('Authorization', t.admin)
      .expect(200);
    expect(call.body).toMatchObject({ outcome: 'missed', campaignId: campaign.id });
    expect(await t.ctx.routing.routingOf(missed)).toBeNull();
    const row = (await report()).body.campaigns.find(
      (c: { campaignId: string }) => c.campaignId === campaign.id,
    );
    expect(row).toMatchObject({ missed: 1, open: 1 });

    // A number Leadline does not track has no campaign to follow the call up for.
    const missedInAll = async () =>
      ((await report()).body.campaigns as { missed: number }[]).reduce((n, c) => n + c.missed, 0);
    const before = await missedInAll();
    const stranger = await missedCall('+14155550142', '/twilio/fallback');
    const strangerCall = await request(t.app)
      .get(`/api/v1/calls/${stranger}`)
      .set('Authorization', t.admin)
      .expect(200);
    expect(strangerCall.body).toMatchObject({ outcome: 'missed', campaignId: null });
    expect(await missedInAll()).toBe(before);
  });

  it('counts a follow-up nobody called back within the target as open and overdue', async () => {
    const { campaign, numbers } = await buildTrackedCampaign(t.ctx);
    await missedCall(numbers[0]?.e164 ?? '');
    const campaignRow = async () =>
      (await report()).body.campaigns.find(
        (c: { campaignId: string }) => c.campaignId === campaign.id,
      );
    expect(await campaignRow()).toMatchObject({ missed: 1, open: 1, overdue: 0, calledBack: 0 });
    clock.advance(6 * 60_000);
    expect(await campaignRow()).toMatchObject({
      missed: 1,
      open: 1,
      overdue: 1,
      calledBack: 0,
      medianSecondsToCallback: null,
    });
    const r = (await report()).body;
    expect(r.targetMinutes).toBe(5);
    expect(new Date(r.until).getTime() - new Date(r.since).getTime()).toBe(7 * 24 * 3600_000);
  });

  it('names each campaign next to its id, as the campaign is called now', async () => {
    const { campaign, numbers } = await buildTrackedCampaign(t.ctx);
    await missedCall(numbers[0]?.e164 ?? '');
    await request(t.app)
      .patch(`/api/v1/campaigns/${campaign.id}`)
      .set('Authorization', t.admin)
      .send({ name: 'Spring radio spots' })
      .expect(200);
    const row = (await report()).body.campaigns.find(
      (c: { campaignId: string }) => c.campaignId === campaign.id,
    );
    expect(row).toMatchObject({ campaignId: campaign.id, campaignName: 'Spring radio spots' });
  });

  it('leaves out follow-ups outside the window and refuses a window that is not one', async () => {
    const { campaign, numbers } = await buildTrackedCampaign(t.ctx);
    await missedCall(numbers[0]?.e164 ?? '');
    const later = new Date(clock.now().getTime() + 60_000).toISOString();
    const res = await request(t.app)
      .get(`/api/v1/reports/follow-ups?since=${encodeURIComponent(later)}`)
      .set('Authorization', t.admin)
      .expect(200);
    expect(
      res.body.campaigns.some((c: { campaignId: string }) => c.campaignId === campaign.id),
    ).toBe(false);
    const bad = await request(t.app)
      .get('/api/v1/reports/follow-ups?since=yesterday')
      .set('Authorization', t.admin)
      .expect(400);
    expect(bad.body.error.details).toEqual([expect.objectContaining({ field: 'since' })]);
  });
});
