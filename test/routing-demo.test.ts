import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createTestContext, type TestContext } from './support/context';

const NO_TWILIO = { TWILIO_ACCOUNT_SID: '', TWILIO_AUTH_TOKEN: '', TWILIO_API_BASE_URL: '' };

describe('demo agents', () => {
  let t: TestContext;
  let server: http.Server;

  beforeAll(async () => {
    t = await createTestContext({ env: NO_TWILIO });
    server = http.createServer(t.app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.ctx.demo.setSelfUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await t.close();
  });

  it('seeds agents in several US cities at the first start only, answering their tokens once', async () => {
    const first = await t.ctx.demo.seed();
    expect(first.map((a) => a.city)).toEqual(['San Francisco', 'Chicago', 'New York', 'Austin']);
    expect(await t.ctx.demo.seed()).toEqual([]);
    for (const a of first) expect((await t.ctx.agents.authenticate(a.token))?.name).toBe(a.name);
    const agents = (
      await request(t.app).get('/api/v1/agents').set('Authorization', t.admin).expect(200)
    ).body.agents as { name: string; hours: unknown; campaignIds: string[]; active: boolean }[];
    const demo = agents.filter((a) => first.some((f) => f.name === a.name));
    expect(demo).toHaveLength(4);
    // Any hours, every campaign: a demo call can reach whoever is available.
    for (const a of demo) expect(a).toMatchObject({ hours: null, campaignIds: [], active: true });
  });

  it('dials the nearest available demo agent for a demo call', async () => {
    const [sf] = await t.ctx.agents
      .list()
      .then((all) => all.filter((a) => a.name.includes('San Francisco')));
    if (!sf) throw new Error('no San Francisco demo agent');
    await t.ctx.agents.setPresence(sf.id, 'available');
    const site = (
      await request(t.app).get('/api/v1/sites').set('Authorization', t.admin).expect(200)
    ).body.sites.find((s: { name: string }) => s.name === 'Leadline demo');
    const campaign = (
      await request(t.app)
        .get(`/api/v1/campaigns?siteId=${site.id}`)
        .set('Authorization', t.admin)
        .expect(200)
    ).body.campaigns[0];
    const numbers = (
      await request(t.app)
        .get(`/api/v1/campaigns/${campaign.id}/numbers`)
        .set('Authorization', t.admin)
        .expect(200)
    ).body.numbers as { e164: string; kind: string }[];
    const to = numbers.find((n) => n.kind === 'pool')?.e164 ?? '';
    const placed = await t.ctx.demo.placeCall({ to, fromZip: '98101' });
    expect(placed.dialed).toContain(sf.phone);
  }, 30_000);
});
