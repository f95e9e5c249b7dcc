import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { io as connect, type Socket } from 'socket.io-client';
import { createTestContext, TEST_ADMIN_KEY, type TestContext } from './support/context';
import { PUBLIC_BASE_URL } from './support/carrier';
import { buildTrackedCampaign } from './support/factories';
import { startLeadlineProcess, type LeadlineProcess } from './support/processes';
import { startTestTwilio, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from './support/twilio';
import { attachAgentSockets, type AgentSockets } from '../src/routing/agent-sockets';
import { signTwilioRequest } from '../src/shared/twilio';
import type { TwilioStandin } from '../src/demo/twilio-rest/standin';

// Several nodes share presence and screen-pops through PostgreSQL; PGlite is one process's.
const onPostgres = process.env.DATABASE_URL ? describe : describe.skip;

onPostgres('routing with two Leadline processes on one PostgreSQL', () => {
  let standin: TwilioStandin;
  let t: TestContext; // node A: this process, with the agent's console
  let nodeB: LeadlineProcess; // node B: src/server.ts in its own process
  let server: http.Server;
  let sockets: AgentSockets;
  let consoleA: Socket | undefined;

  beforeAll(async () => {
    const tw = await startTestTwilio();
    standin = tw.standin;
    t = await createTestContext({ env: tw.env });
    server = http.createServer(t.app);
    sockets = attachAgentSockets(server, t.ctx);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    nodeB = await startLeadlineProcess({
      ...tw.env,
      DATABASE_URL: t.databaseUrl ?? '',
      LEADLINE_ADMIN_KEY: TEST_ADMIN_KEY,
      PUBLIC_BASE_URL,
    });
  }, 90_000);
  afterAll(async () => {
    consoleA?.disconnect();
    await nodeB?.stop();
    await sockets?.close();
    await new Promise((resolve) => server?.close(resolve));
    await t?.close();
    await standin?.close();
  });

  function voiceOnB(to: string, callSid: string, from: string) {
    const params = {
      CallSid: callSid,
      AccountSid: TEST_ACCOUNT_SID,
      From: from,
      To: to,
      CallStatus: 'ringing',
      Direction: 'inbound',
      FromZip: '80202',
    };
    return fetch(`${nodeB.baseUrl}/twilio/voice`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signTwilioRequest(
          TEST_AUTH_TOKEN,
          `${PUBLIC_BASE_URL}/twilio/voice`,
          params,
        ),
      },
      body: new URLSearchParams(params).toString(),
    }).then((r) => r.text());
  }

  function voiceOnA(to: string, callSid: string, from: string) {
    const params = {
      CallSid: callSid,
      AccountSid: TEST_ACCOUNT_SID,
      From: from,
      To: to,
      CallStatus: 'ringing',
      Direction: 'inbound',
      FromZip: '80202',
    };
    return request(t.app)
      .post('/twilio/voice')
      .type('form')
      .set(
        'X-Twilio-Signature',
        signTwilioRequest(TEST_AUTH_TOKEN, `${PUBLIC_BASE_URL}/twilio/voice`, params),
      )
      .send(params)
      .then((r) => r.text);
  }

  it('never dials one agent for simultaneous calls arriving on two nodes, and pops the one that won', async () => {
    const { campaign, numbers } = await buildTrackedCampaign(t.ctx);
    const to = numbers[0]?.e164 ?? '';
    const created = await request(t.app)
      .post('/api/v1/agents')
      .set('Authorization', t.admin)
      .send({
        name: 'Denver',
        phone: '+13035550801',
        zip: '80202',
        timezone: 'America/Denver',
        campaignIds: [campaign.id],
      })
      .expect(201);
    const port = (server.address() as AddressInfo).port;
    consoleA = connect(`http://127.0.0.1:${port}/agents`, {
      auth: { token: created.body.token },
      transports: ['websocket'],
      reconnection: false,
    });
    await new Promise((resolve) => consoleA?.once('connect', () => resolve(undefined)));
    await consoleA.emitWithAck('status', 'available');
    const popped = new Promise<{ callSid: string; campaign: { id: string } }>((resolve) =>
      consoleA?.once('screen-pop', resolve),
    );

    // Six simultaneous calls, three on each node: one rings the agent, the rest the fallback.
    const sids = Array.from({ length: 6 }, (_, i) => `CA${String(i).repeat(32)}`);
    const answers = await Promise.all(
      sids.map((sid, i) =>
        (i % 2 ? voiceOnB : voiceOnA)(to, sid, `+1303555090${i}`).then((twiml) => ({ sid, twiml })),
      ),
    );
    const dialled = answers.filter((a) => a.twiml.includes('>+13035550801</Number>'));
    expect(dialled).toHaveLength(1);
    const pop = await popped;
    expect(pop).toMatchObject({ callSid: dialled[0]?.sid, campaign: { id: campaign.id } });
  }, 60_000);

  it('pops an agent with consoles on both nodes exactly once on each', async () => {
    const { campaign, numbers } = await buildTrackedCampaign(t.ctx);
    const created = await request(t.app)
      .post('/api/v1/agents')
      .set('Authorization', t.admin)
      .send({
        name: 'Golden',
        phone: '+13035550803',
        zip: '80401',
        timezone: 'America/Denver',
        campaignIds: [campaign.id],
      })
      .expect(201);
    const port = (server.address() as AddressInfo).port;
    const open = (url: string) =>
      connect(`${url}/agents`, {
        auth: { token: created.body.token },
        transports: ['websocket'],
        reconnection: false,
      });
    const onA = open(`http://127.0.0.1:${port}`);
    const onB = open(nodeB.baseUrl);
    const pops = { a: [] as string[], b: [] as string[] };
    onA.on('screen-pop', (p: { callSid: string }) => pops.a.push(p.callSid));
    onB.on('screen-pop', (p: { callSid: string }) => pops.b.push(p.callSid));
    try {
      await Promise.all(
        [onA, onB].map(
          (s) => new Promise((resolve) => s.once('connect', () => resolve(undefined))),
        ),
      );
      await onA.emitWithAck('status', 'available');
      // Decided on node A, where one console is: that one is served locally, the other by B.
      const sid = `CA${'7'.repeat(32)}`;
      expect(await voiceOnA(numbers[0]?.e164 ?? '', sid, '+13035550998')).toContain(
        '>+13035550803</Number>',
      );
      for (let i = 0; i < 50 && (pops.a.length === 0 || pops.b.length === 0); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      // Time for a duplicate to show up, if the adapter also delivered on A.
      await new Promise((r) => setTimeout(r, 500));
      expect(pops).toEqual({ a: [sid], b: [sid] });
    } finally {
      onA.disconnect();
      onB.disconnect();
    }
  }, 60_000);

  it('delivers a screen-pop decided on node B to the console on node A', async () => {
    // A new agent on node A; node B learns of them with its next sync of agent changes (2 s).
    const { campaign, numbers } = await buildTrackedCampaign(t.ctx);
    const created = await request(t.app)
      .post('/api/v1/agents')
      .set('Authorization', t.admin)
      .send({
        name: 'Boulder',
        phone: '+13035550802',
        zip: '80302',
        timezone: 'America/Denver',
        campaignIds: [campaign.id],
      })
      .expect(201);
    const port = (server.address() as AddressInfo).port;
    const s = connect(`http://127.0.0.1:${port}/agents`, {
      auth: { token: created.body.token },
      transports: ['websocket'],
      reconnection: false,
    });
    try {
      await new Promise((resolve) => s.once('connect', () => resolve(undefined)));
      await s.emitWithAck('status', 'available');
      const popped = new Promise<{ callSid: string }>((resolve) => s.once('screen-pop', resolve));
      let sid = '';
      let twiml = '';
      for (let i = 0; i < 20 && !twiml.includes('>+13035550802</Number>'); i++) {
        if (i) await new Promise((r) => setTimeout(r, 250));
        sid = `CA${i.toString(16).padStart(2, '0')}${'e'.repeat(30)}`;
        twiml = await voiceOnB(numbers[0]?.e164 ?? '', sid, '+13035550999');
      }
      expect(twiml).toContain('>+13035550802</Number>');
      expect((await popped).callSid).toBe(sid);
    } finally {
      s.disconnect();
    }
  }, 60_000);
});
