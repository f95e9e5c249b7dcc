import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createTestContext, type TestContext } from './support/context';
import { buildTrackedCampaign } from './support/factories';

// Demo mode (no Twilio credentials): a follow-up callback placed through the Twilio stand-in
// is played by the carrier simulator against Leadline, end to end.

const NO_TWILIO = { TWILIO_ACCOUNT_SID: '', TWILIO_AUTH_TOKEN: '', TWILIO_API_BASE_URL: '' };
const CALLER = '+12065550142';

interface Seen {
  path: string;
  params: Record<string, string>;
  status: number;
  text: string;
}

let t: TestContext;
let leadline: http.Server;
let tap: http.Server;
/** What the simulator sent Leadline and what Leadline answered, in order. */
const seen: Seen[] = [];

const listen = async (server: http.Server) => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

beforeAll(async () => {
  t = await createTestContext({ env: NO_TWILIO });
  leadline = http.createServer(t.app);
  const leadlineUrl = await listen(leadline);
  // Passes every request on to Leadline untouched, noting it and the answer.
  tap = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const headers = Object.fromEntries(
        Object.entries(req.headers).flatMap(([k, v]) =>
          typeof v === 'string' && k !== 'host' && k !== 'content-length' ? [[k, v]] : [],
        ),
      );
      void fetch(`${leadlineUrl}${req.url ?? '/'}`, { method: 'POST', headers, body }).then(
        async (answer) => {
          const text = await answer.text();
          seen.push({
            path: req.url ?? '/',
            params: Object.fromEntries(new URLSearchParams(body)),
            status: answer.status,
            text,
          });
          res.writeHead(answer.status, {
            'content-type': answer.headers.get('content-type') ?? '',
          });
          res.end(text);
        },
      );
    });
  });
  t.ctx.demo.setSelfUrl(await listen(tap));
});
afterAll(async () => {
  for (const s of [tap, leadline]) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  await t.close();
});

async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  let value = await read();
  for (let i = 0; i < 100 && !ok(value); i++) {
    await new Promise((r) => setTimeout(r, 100));
    value = await read();
  }
  return value;
}

describe('a follow-up callback in demo mode', () => {
  it('rings the agent, bridges the caller through the TwiML Leadline serves and records the answered attempt', async () => {
    const { numbers } = await buildTrackedCampaign(t.ctx, {
      campaign: { fallbackNumber: '+14155550123' },
    });
    const tracking = numbers[0]?.e164 ?? '';
    const created = await request(t.app)
      .post('/api/v1/agents')
      .set('Authorization', t.admin)
      .send({ name: 'Demo Dana', phone: '+13125550144', zip: '60601', timezone: 'America/Chicago' })
      .expect(201);
    const agentId = (created.body as { id: string }).id;

    // Nobody is available: the fallback rings out, the caller leaves no message.
    const missed = await t.ctx.demo.placeCall({ to: tracking, from: CALLER, outcome: 'no-answer' });
    const listed = await eventually(
      () => t.ctx.followUps.listFor(agentId),
      (items) => items.some((f) => f.callSid === missed.callSid),
    );
    expect(listed.map((f) => f.callSid)).toContain(missed.callSid);
    await t.ctx.followUps.claim(missed.callSid, agentId);
    const placed = await t.ctx.followUps.callBack(missed.callSid, agentId);
    const leg = placed?.callbackCallSid ?? '';

    const item = await eventually(
      async () =>
        (await t.ctx.followUps.listFor(agentId)).find((f) => f.callSid === missed.callSid),
      (f) => f?.lastCallback !== null,
    );
    expect(item?.lastCallback).toMatchObject({ result: 'answered' });

    const base = `/twilio/follow-ups/${missed.callSid}`;
    const legRequests = seen.filter((s) => s.params.CallSid === leg);
    expect(legRequests.map((s) => `${s.path} ${s.params.CallStatus} ${s.status}`)).toEqual([
      `${base}/status initiated 204`,
      `${base}/status ringing 204`,
      `${base}/status in-progress 204`,
      `${base}/bridge in-progress 200`,
      `${base}/status completed 204`,
    ]);
    const bridge = legRequests.find((s) => s.path === `${base}/bridge`);
    expect(bridge?.params).toMatchObject({ From: tracking, To: '+13125550144' });
    expect(bridge?.text).toContain(`<Dial callerId="${tracking}">${CALLER}</Dial>`);
    const agent = await request(t.app)
      .get(`/api/v1/agents/${agentId}`)
      .set('Authorization', t.admin)
      .expect(200);
    expect(agent.body.onCall).toBe(false);
  }, 30_000);
});
