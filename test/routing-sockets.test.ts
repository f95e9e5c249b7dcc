import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { io as connect, type Socket } from 'socket.io-client';
import { createTestContext, type TestContext } from './support/context';
import { ManualClock } from './support/clock';
import { buildTrackedCampaign, postSignedWebhook, visitorHoldingNumber } from './support/factories';
import { TEST_ACCOUNT_SID } from './support/twilio';
import { attachAgentSockets, type AgentSockets } from '../src/routing/agent-sockets';

const clock = new ManualClock('2026-06-01T15:00:00Z');
let t: TestContext;
let server: http.Server;
let sockets: AgentSockets;
let baseUrl: string;
const opened: Socket[] = [];

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

function console_(token: string): Socket {
  const s = connect(`${baseUrl}/agents`, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
  });
  opened.push(s);
  return s;
}

const once = <T>(s: Socket, event: string) =>
  new Promise<T>((resolve) => s.once(event, (payload: T) => resolve(payload)));

async function createAgent(body: Record<string, unknown>) {
  const res = await request(t.app)
    .post('/api/v1/agents')
    .set('Authorization', t.admin)
    .send({ timezone: 'America/Chicago', ...body })
    .expect(201);
  return res.body as { id: string; token: string; phone: string };
}

describe('socket.io /agents', () => {
  it('refuses a console with a bad token', async () => {
    const err = await once<Error>(console_('ll_agent_not-a-token'), 'connect_error');
    expect(err.message).toMatch(/unauthorized/);
  });

  it('pops the call on the chosen agent’s console only, dials their phone, and says when it ends', async () => {
    const { site, campaign } = await buildTrackedCampaign(t.ctx);
    const only = { campaignIds: [campaign.id] };
    const austin = await createAgent({ name: 'Aus', phone: '+15125550501', zip: '78701', ...only });
    const chicago = await createAgent({
      name: 'Chi',
      phone: '+13125550502',
      zip: '60601',
      ...only,
    });
    const austinConsole = console_(austin.token);
    const chicagoConsole = console_(chicago.token);
    await Promise.all([once(austinConsole, 'connect'), once(chicagoConsole, 'connect')]);
    expect(await austinConsole.emitWithAck('status', 'available')).toEqual({
      ok: true,
      status: 'available',
    });
    expect(await chicagoConsole.emitWithAck('status', 'available')).toMatchObject({ ok: true });
    expect(await chicagoConsole.emitWithAck('status', 'busy')).toMatchObject({ ok: false });
    const chicagoPops: unknown[] = [];
    chicagoConsole.on('screen-pop', (p: unknown) => chicagoPops.push(p));

    const held = await visitorHoldingNumber(t.app, site.siteKey, {
      landingUrl:
        'https://www.example.com/plumbing?utm_source=google&utm_medium=cpc&utm_campaign=spring&gclid=abc',
      referrer: 'https://www.google.com/',
    });
    const popped = once<Record<string, unknown>>(austinConsole, 'screen-pop');
    const callSid = `CA${'c'.repeat(32)}`;
    const res = await postSignedWebhook(t.app, '/twilio/voice', {
      CallSid: callSid,
      AccountSid: TEST_ACCOUNT_SID,
      From: '+15125550999',
      To: held.number.e164,
      CallStatus: 'ringing',
      Direction: 'inbound',
      FromCity: 'AUSTIN',
      FromState: 'TX',
    }).expect(200);
    expect(res.text).toContain(`>${austin.phone}</Number>`);

    const pop = await popped;
    expect(pop).toMatchObject({
      callSid,
      caller: { number: '+15125550999', city: 'AUSTIN', state: 'TX' },
      campaign: { id: campaign.id, name: campaign.name },
      visit: {
        landingUrl: expect.stringContaining('/plumbing'),
        utmSource: 'google',
        utmCampaign: 'spring',
        gclid: true,
      },
      previousCalls: 0,
      firstTime: true,
    });
    expect(chicagoPops).toEqual([]);

    const ended = once<{ callSid: string }>(austinConsole, 'call-ended');
    await postSignedWebhook(t.app, '/twilio/status', {
      CallSid: callSid,
      AccountSid: TEST_ACCOUNT_SID,
      From: '+15125550999',
      To: held.number.e164,
      CallStatus: 'completed',
      CallDuration: '30',
      SequenceNumber: '2',
    }).expect(204);
    expect(await ended).toEqual({ callSid });
  });

  it('marks an agent offline when their console disconnects', async () => {
    const agent = await createAgent({ name: 'Gone', phone: '+15125550601', zip: '78701' });
    const s = console_(agent.token);
    await once(s, 'connect');
    await s.emitWithAck('status', 'available');
    s.disconnect();
    for (let i = 0; i < 50; i++) {
      const a = await t.ctx.agents.get(agent.id);
      if (a.presence === 'offline') return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('agent still not offline');
  });
});
