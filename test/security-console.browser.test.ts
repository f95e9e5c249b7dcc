import request from 'supertest';
import type { TestContext } from './support/context';
import {
  signInAvailableAgent,
  startConsoleServer,
  type ConsoleServer,
} from './support/agent-console';
import { createTestBrowser, describeInBrowser } from './support/dni-browser';
import { buildTrackedCampaign, postSignedWebhook, visitorHoldingNumber } from './support/factories';
import { TEST_ACCOUNT_SID } from './support/twilio';

/** Each payload, if it ran, would set window.__xss; if parsed as HTML it would add an element. */
const SCRIPT = '<script>window.__xss = "script"</script>';
const IMG = '<img src=x onerror="window.__xss = \'img\'">';
const SVG = '"><svg onload="window.__xss = \'svg\'">';
const SQL = `Robert'); DROP TABLE call_dispositions;--`;

describeInBrowser('stored script and SQL payloads in the agent console (/agent)', () => {
  const browser = createTestBrowser();
  let s: ConsoleServer;
  let t: TestContext;

  beforeAll(async () => {
    s = await startConsoleServer();
    ({ t } = s);
    await browser.launch();
  }, 60_000);
  afterAll(async () => {
    await browser.close();
    await s.close();
  });

  it('shows every stored field as text and keeps a hostile disposition note byte for byte', async () => {
    const { site, campaign } = await buildTrackedCampaign(t.ctx, {
      campaign: { name: `Spring ${SCRIPT}` },
    });
    const page = await browser.openPage();
    await signInAvailableAgent(s, page, {
      name: `Agent ${IMG}`,
      phone: '+13035550911',
      zip: '80202',
      timezone: 'America/Denver',
      campaignIds: [campaign.id],
    });

    // The visit and the call carry payloads in every field the card shows.
    const q = new URLSearchParams({
      utm_source: IMG,
      utm_medium: SVG,
      utm_campaign: SQL,
      utm_term: SCRIPT,
    });
    const held = await visitorHoldingNumber(t.app, site.siteKey, {
      landingUrl: `https://www.example.com/?${q.toString()}`,
    });
    const callSid = `CA${'9'.repeat(32)}`;
    await postSignedWebhook(t.app, '/twilio/voice', {
      CallSid: callSid,
      AccountSid: TEST_ACCOUNT_SID,
      From: '+13035550998',
      To: held.number.e164,
      CallStatus: 'ringing',
      Direction: 'inbound',
      CallerName: IMG,
      FromCity: SCRIPT,
      FromState: 'CO',
    }).expect(200);

    await page.waitForSelector('#card:not([hidden])');
    expect(await page.textContent('#campaign')).toBe(`Spring ${SCRIPT}`);
    expect(await page.textContent('#caller')).toContain(IMG);
    expect(await page.textContent('#where')).toBe(`${SCRIPT}, CO`);
    expect(await page.textContent('#source')).toBe(`${IMG} / ${SVG} / ${SQL}`);
    expect(await page.textContent('#keyword')).toBe(SCRIPT);
    expect(await page.textContent('#landing')).toContain('utm_source=');

    // A note set through the API, then one the agent types into the card.
    const viaApi = `${SQL} ${SCRIPT}`;
    await request(t.app)
      .put(`/api/v1/calls/${callSid}/disposition`)
      .set('Authorization', t.admin)
      .send({ disposition: 'qualified lead', note: viaApi })
      .expect(200);
    const typed = `${IMG} ${SVG}`;
    await page.selectOption('#disposition', 'appointment booked');
    await page.fill('#note', typed);
    await page.click('#disposition-form button[type=submit]');
    await page.waitForFunction(
      () =>
        document.getElementById('disposition-status')?.textContent === 'Saved: appointment booked',
    );
    const call = await request(t.app)
      .get(`/api/v1/calls/${callSid}`)
      .set('Authorization', t.admin)
      .expect(200);
    expect(call.body.disposition).toMatchObject({ label: 'appointment booked', note: typed });
    expect(call.body.caller).toMatchObject({ name: IMG });

    // Nothing ran, and no element came from the data.
    expect(await page.evaluate(() => (window as { __xss?: string }).__xss)).toBeUndefined();
    expect(await page.locator('main img, main svg, main script, #card img').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(
      await page.evaluate(() => document.querySelectorAll('script[src]').length),
    );
    expect(browser.pageErrors).toEqual([]);
  }, 60_000);
});
