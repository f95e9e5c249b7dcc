import request from 'supertest';
import { createTestContext, type TestContext } from './support/context';
import { ManualClock } from './support/clock';
import { buildCampaign, buildSite } from './support/factories';

const clock = new ManualClock('2026-06-01T15:00:00Z');
let t: TestContext;

beforeAll(async () => {
  t = await createTestContext({ twilio: true, clock });
});
afterAll(() => t.close());

function twilio() {
  if (!t.twilio) throw new Error('test context has no Twilio stand-in');
  return t.twilio;
}

const provision = (campaignId: string, body: object) =>
  request(t.app)
    .post(`/api/v1/campaigns/${campaignId}/numbers`)
    .set('Authorization', t.admin)
    .send(body);

describe('POST /api/v1/campaigns/:id/numbers', () => {
  it('buys numbers in an area code and points them at the webhooks', async () => {
    const campaign = await buildCampaign(t.ctx);
    const res = await provision(campaign.id, { count: 3, areaCode: '312' }).expect(201);
    expect(res.body.numbers).toHaveLength(3);
    for (const n of res.body.numbers) {
      expect(n.e164).toMatch(/^\+1312\d{7}$/);
      const owned = [...twilio().state.owned.values()].find((o) => o.phoneNumber === n.e164);
      expect(owned).toMatchObject({
        voiceUrl: 'https://leadline.test/twilio/voice',
        statusCallback: 'https://leadline.test/twilio/status',
        voiceFallbackUrl: 'https://leadline.test/twilio/fallback',
      });
    }
    const listed = await request(t.app)
      .get(`/api/v1/campaigns/${campaign.id}/numbers`)
      .set('Authorization', t.admin)
      .expect(200);
    expect(listed.body.numbers.map((n: { e164: string }) => n.e164).sort()).toEqual(
      res.body.numbers.map((n: { e164: string }) => n.e164).sort(),
    );
  });

  it('buys numbers near a ZIP and toll-free numbers', async () => {
    const campaign = await buildCampaign(t.ctx);
    const near = await provision(campaign.id, { count: 2, nearZip: '98101' }).expect(201);
    expect(near.body.numbers.every((n: { region: string }) => n.region === 'WA')).toBe(true);
    const tollFree = await provision(campaign.id, { count: 1, tollFree: true }).expect(201);
    expect(tollFree.body.numbers[0].e164).toMatch(/^\+18(00|33|44|55|66|77|88)/);
  });

  it('never buys back a number it released during the quarantine period', async () => {
    const campaign = await buildCampaign(t.ctx);
    const first = await provision(campaign.id, { count: 1, areaCode: '206' }).expect(201);
    const number = first.body.numbers[0];
    const released = await request(t.app)
      .delete(`/api/v1/numbers/${number.id}`)
      .set('Authorization', t.admin)
      .expect(200);
    expect(released.body).toMatchObject({ status: 'released', e164: number.e164 });
    expect(new Date(released.body.quarantineUntil).getTime()).toBe(
      clock.now().getTime() + 60 * 86_400_000,
    );
    expect([...twilio().state.owned.values()].map((o) => o.phoneNumber)).not.toContain(number.e164);

    // Twilio offers the number again; Leadline passes over it while it is quarantined, even when
    // it asks for every number the area code has...
    twilio().state.restock(number.e164);
    const areaCode = number.e164.slice(2, 5);
    const during = await t.ctx.numbers.provision(campaign.id, {
      count: 50,
      areaCode,
      kind: 'pool',
    });
    expect(during.numbers.length).toBeGreaterThan(0);
    expect(during.numbers.map((n) => n.e164)).not.toContain(number.e164);
    expect(twilio().state.isAvailable(number.e164)).toBe(true);
    // ...and takes it once the quarantine is over.
    clock.advance(61 * 86_400_000);
    const after = await t.ctx.numbers.provision(campaign.id, { count: 50, areaCode, kind: 'pool' });
    expect(after.numbers.map((n) => n.e164)).toEqual([number.e164]);
  });

  it('answers 404 for releasing an unknown number', async () => {
    const res = await request(t.app)
      .delete('/api/v1/numbers/00000000-0000-4000-8000-000000000000')
      .set('Authorization', t.admin)
      .expect(404);
    expect(res.body.error.code).toBe('number_not_found');
  });

  it('turns a Twilio failure into a 502 naming Twilio, and records nothing', async () => {
    const campaign = await buildCampaign(t.ctx);
    twilio().state.failNext(5, { status: 500, code: 20500, message: 'Internal Server Error' });
    const res = await provision(campaign.id, { count: 1, areaCode: '512' }).expect(502);
    // Only the first of the five injected failures was used; later tests need a working Twilio.
    twilio().state.failNext(0, { status: 500, code: 20500, message: 'unused' });
    expect(res.body.error).toMatchObject({ code: 'twilio_error' });
    expect(res.body.error.message).toContain('Twilio');
    const listed = await request(t.app)
      .get(`/api/v1/campaigns/${campaign.id}/numbers`)
      .set('Authorization', t.admin);
    expect(listed.body.numbers).toEqual([]);
  });

  it.each([
    ['count 0', { count: 0 }, 'count'],
    ['count too big', { count: 500 }, 'count'],
    ['bad area code', { count: 1, areaCode: '12' }, 'areaCode'],
    ['bad ZIP', { count: 1, nearZip: 'abcde' }, 'nearZip'],
    ['toll-free with area code', { count: 1, tollFree: true, areaCode: '415' }, 'tollFree'],
  ])('rejects %s with a 400 naming the field', async (_n, body, field) => {
    const campaign = await buildCampaign(t.ctx);
    const res = await provision(campaign.id, body).expect(400);
    expect(res.body.error.message).toContain(field);
  });

  it('lets a marketer see the pool but not buy numbers', async () => {
    const campaign = await buildCampaign(t.ctx);
    const { key } = await t.ctx.keys.createKey('marketer', 'm');
    await request(t.app)
      .post(`/api/v1/campaigns/${campaign.id}/numbers`)
      .set('Authorization', `Bearer ${key}`)
      .send({ count: 1 })
      .expect(403);
    const pool = await request(t.app)
      .get(`/api/v1/campaigns/${campaign.id}/pool`)
      .set('Authorization', `Bearer ${key}`)
      .expect(200);
    expect(pool.body).toMatchObject({ size: 0, leasedNow: 0, recommendedSize: 2 });
  });
});

describe('tracking numbers never double as printed or fallback numbers', () => {
  it('refuses a site swap target or a campaign fallback that is a pool number, and writes nothing', async () => {
    const campaign = await buildCampaign(t.ctx);
    const bought = await provision(campaign.id, { count: 1, areaCode: '415' }).expect(201);
    const poolNumber: string = bought.body.numbers[0].e164;
    const sitesBefore = (await t.ctx.campaigns.listSites()).length;

    const site = await request(t.app)
      .post('/api/v1/sites')
      .set('Authorization', t.admin)
      .send({ name: 'Clash', allowedOrigins: ['https://clash.example'], swapTargets: [poolNumber] })
      .expect(400);
    expect(site.body.error.message).toContain('swapTargets');
    expect(site.body.error.message).toContain(poolNumber);
    expect(await t.ctx.campaigns.listSites()).toHaveLength(sitesBefore);

    const patched = await request(t.app)
      .patch(`/api/v1/campaigns/${campaign.id}`)
      .set('Authorization', t.admin)
      .send({ fallbackNumber: poolNumber })
      .expect(400);
    expect(patched.body.error.message).toContain('fallbackNumber');
    expect((await t.ctx.campaigns.getCampaign(campaign.id)).fallbackNumber).not.toBe(poolNumber);
  });

  it("never buys a site's printed number or a campaign's fallback into a pool", async () => {
    const campaign = await buildCampaign(t.ctx);
    // A number Twilio sells that is also printed on a site and used as a campaign's fallback.
    const first = await provision(campaign.id, { count: 1, areaCode: '312' }).expect(201);
    const printed: string = first.body.numbers[0].e164;
    await request(t.app)
      .delete(`/api/v1/numbers/${first.body.numbers[0].id}`)
      .set('Authorization', t.admin)
      .expect(200);
    clock.advance(61 * 86_400_000); // past the quarantine, so only the new rule can refuse it
    await buildSite(t.ctx, { swapTargets: [printed] });
    twilio().state.restock(printed);

    const again = await t.ctx.numbers.provision(campaign.id, {
      count: 50,
      areaCode: '312',
      kind: 'pool',
    });
    expect(again.numbers.map((n) => n.e164)).not.toContain(printed);
    expect(twilio().state.isAvailable(printed)).toBe(true);
  });
});

describe('the number directory', () => {
  it('knows a number the moment it is bought, a new fallback the moment it is set, and forgets a released number', async () => {
    const campaign = await buildCampaign(t.ctx, { fallbackNumber: '+14155550123' });
    const bought = await provision(campaign.id, { count: 1, areaCode: '415' }).expect(201);
    const e164: string = bought.body.numbers[0].e164;
    expect(t.ctx.directory.peek(e164)).toMatchObject({
      campaignId: campaign.id,
      siteId: campaign.siteId,
      fallbackNumber: '+14155550123',
    });
    await request(t.app)
      .patch(`/api/v1/campaigns/${campaign.id}`)
      .set('Authorization', t.admin)
      .send({ fallbackNumber: '+14155550124' })
      .expect(200);
    expect(t.ctx.directory.peek(e164)?.fallbackNumber).toBe('+14155550124');
    await request(t.app)
      .delete(`/api/v1/numbers/${bought.body.numbers[0].id}`)
      .set('Authorization', t.admin)
      .expect(200);
    expect(t.ctx.directory.peek(e164)).toBeNull();
    expect(await t.ctx.directory.lookup(e164)).toBeNull();
  });
});

describe('demo mode', () => {
  it('hands out fictional 555-01XX numbers without a Twilio account, and says so', async () => {
    const demo = await createTestContext({
      env: { TWILIO_ACCOUNT_SID: '', TWILIO_AUTH_TOKEN: '', TWILIO_API_BASE_URL: '' },
    });
    try {
      const campaign = await buildCampaign(demo.ctx);
      const res = await request(demo.app)
        .post(`/api/v1/campaigns/${campaign.id}/numbers`)
        .set('Authorization', demo.admin)
        .send({ count: 3 })
        .expect(201);
      expect(res.body.demo).toBe(true);
      expect(res.body.note).toMatch(/demo mode/);
      for (const n of res.body.numbers) expect(n.e164).toMatch(/^\+1\d{3}55501\d{2}$/);
    } finally {
      await demo.close();
    }
  });
});
