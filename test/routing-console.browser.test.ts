import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import type { TestContext } from './support/context';
import {
  signInAvailableAgent,
  startConsoleServer,
  type ConsoleServer,
} from './support/agent-console';
import { buildTrackedCampaign, postSignedWebhook, visitorHoldingNumber } from './support/factories';
import { TEST_ACCOUNT_SID } from './support/twilio';
import { createTestBrowser, describeInBrowser } from './support/dni-browser';

/** Screenshots land here (a CI job may keep them as artifacts). */
const ARTIFACTS = process.env.TEST_ARTIFACTS_DIR ?? path.join(os.tmpdir(), 'leadline-artifacts');

describeInBrowser('agent console (/agent) in Chromium', () => {
  const browser = createTestBrowser();
  let s: ConsoleServer;
  let t: TestContext;

  beforeAll(async () => {
    s = await startConsoleServer();
    ({ t } = s);
    await browser.launch();
    fs.mkdirSync(ARTIFACTS, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await browser.close();
    await s.close();
  });

  it('signs in, goes available, shows the caller’s card escaping what the visit carried, sets a disposition the API shows, and works a missed call’s follow-up', async () => {
    const { site, campaign } = await buildTrackedCampaign(t.ctx);
    const page = await browser.openPage();
    await signInAvailableAgent(s, page, {
      name: 'Console',
      phone: '+13035550901',
      zip: '80202',
      timezone: 'America/Denver',
      campaignIds: [campaign.id],
    });
    await page.screenshot({ path: path.join(ARTIFACTS, 'agent-console-available.png') });

    const hostile = '<img src=x onerror="window.__xss=1">';
    const held = await visitorHoldingNumber(t.app, site.siteKey, {
      landingUrl: `https://www.example.com/?utm_source=google&utm_campaign=${encodeURIComponent(hostile)}`,
    });
    await postSignedWebhook(t.app, '/twilio/voice', {
      CallSid: `CA${'d'.repeat(32)}`,
      AccountSid: TEST_ACCOUNT_SID,
      From: '+13035550999',
      To: held.number.e164,
      CallStatus: 'ringing',
      Direction: 'inbound',
      FromCity: 'DENVER',
      FromState: 'CO',
    }).expect(200);

    await page.waitForSelector('#card:not([hidden])');
    expect(await page.textContent('#where')).toBe('DENVER, CO');
    expect(await page.textContent('#campaign')).toBe(campaign.name);
    expect(await page.textContent('#source')).toContain(hostile);
    expect(await page.evaluate(() => (window as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('#card img').count()).toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'agent-console-screen-pop.png') });

    // The agent dispositions the call from the card; the calls API shows it.
    const note = '<b>call back</b> Tuesday';
    await page.selectOption('#disposition', 'appointment booked');
    await page.fill('#note', note);
    await page.click('#disposition-form button[type=submit]');
    await page.waitForFunction(
      () =>
        document.getElementById('disposition-status')?.textContent === 'Saved: appointment booked',
    );
    const call = await request(t.app)
      .get(`/api/v1/calls/CA${'d'.repeat(32)}`)
      .set('Authorization', t.admin)
      .expect(200);
    expect(call.body.disposition).toMatchObject({ label: 'appointment booked', note });
    expect(await page.locator('#card b').count()).toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'agent-console-disposition.png') });

    // A second caller reaches nobody (the agent is still on the first call): a follow-up the
    // agent claims, calls back through Twilio and closes from the console.
    const missed = `CA${'5'.repeat(32)}`;
    const base = {
      CallSid: missed,
      AccountSid: TEST_ACCOUNT_SID,
      From: '+13035550777',
      To: held.number.e164,
    };
    await postSignedWebhook(t.app, '/twilio/voice', {
      ...base,
      CallStatus: 'ringing',
      Direction: 'inbound',
    }).expect(200);
    await postSignedWebhook(t.app, '/twilio/dial-status', {
      ...base,
      CallStatus: 'in-progress',
      DialCallStatus: 'no-answer',
      DialCallSid: `CA${'4'.repeat(32)}`,
      DialCallDuration: '0',
    }).expect(200);
    await postSignedWebhook(t.app, '/twilio/status', {
      ...base,
      CallStatus: 'completed',
      CallDuration: '20',
      Direction: 'inbound',
    }).expect(204);
    const item = page.locator(`#follow-ups li[data-call-sid="${missed}"]`);
    await item.waitFor();
    expect(await item.textContent()).toContain('+13035550777');
    await item.locator('button', { hasText: 'Claim' }).click();
    // The agent is busy until the first call ends; then the callback may ring them.
    await postSignedWebhook(t.app, '/twilio/status', {
      CallSid: `CA${'d'.repeat(32)}`,
      AccountSid: TEST_ACCOUNT_SID,
      From: '+13035550999',
      To: held.number.e164,
      CallStatus: 'completed',
      CallDuration: '95',
      Direction: 'inbound',
    }).expect(204);
    await item.locator('button', { hasText: 'Call back' }).click();
    for (let i = 0; i < 50 && !t.twilio?.state.calls.some((c) => c.url.includes(missed)); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(t.twilio?.state.calls.find((c) => c.url.includes(missed))).toMatchObject({
      to: '+13035550901',
      from: held.number.e164,
    });
    await page.screenshot({ path: path.join(ARTIFACTS, 'agent-console-follow-up.png') });
    await item.locator('input').fill('left a message');
    await item.locator('button', { hasText: 'Close' }).click();
    await item.waitFor({ state: 'detached' });
    expect(browser.pageErrors).toEqual([]);
  }, 60_000);
});
