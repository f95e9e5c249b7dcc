import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { Page } from 'playwright-core';
import { createCarrierSimulator, type CallOutcome } from '../src/demo/carrier/simulator';
import { PUBLIC_BASE_URL } from './support/carrier';
import { createTestContext, type TestContext } from './support/context';
import { buildTrackedCampaign, TEST_ORIGIN, visitorHoldingNumber } from './support/factories';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from './support/twilio';
import { createTestBrowser, describeInBrowser } from './support/dni-browser';

/** Screenshots land here (a CI job may keep them as artifacts). */
const ARTIFACTS = process.env.TEST_ARTIFACTS_DIR ?? path.join(os.tmpdir(), 'leadline-artifacts');

const HOSTILE_SOURCE = '<img src=x onerror="window.__xss=1">';
const HOSTILE_NOTE = '<script>window.__xss=2</script><b>call back</b> Tuesday';
const HOSTILE_CAMPAIGN = 'Boilers <svg onload="window.__xss=3"> spring';

interface ApiCall {
  callSid: string;
  from: string;
  outcome: string;
  talkSeconds: number | null;
  durationSeconds: number | null;
  score: { qualified: boolean; label: string } | null;
}

describeInBrowser('marketer dashboard (/dashboard) in Chromium', () => {
  const browser = createTestBrowser();
  let t: TestContext;
  let server: http.Server;
  let baseUrl: string;
  let marketerKey: string;

  beforeAll(async () => {
    t = await createTestContext({ twilio: true, env: { DNI_RATE_LIMIT_PER_MINUTE: '10000' } });
    marketerKey = (await t.ctx.keys.createKey('marketer', 'dashboard browser')).key;
    server = http.createServer(t.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await browser.launch();
    fs.mkdirSync(ARTIFACTS, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await browser.close();
    await new Promise((resolve) => server.close(resolve));
    await t.close();
  });

  // Calls on the system clock, as Twilio would send them now (the page asks for "today").
  const carrier = () =>
    createCarrierSimulator({
      publicBaseUrl: PUBLIC_BASE_URL,
      authToken: TEST_AUTH_TOKEN,
      accountSid: TEST_ACCOUNT_SID,
      neverAfterNow: true,
      send: async ({ path: p, headers, body }) => {
        const res = await request(t.app).post(p).set(headers).send(body);
        return { status: res.status, text: res.text };
      },
    });

  async function visitAndCall(
    siteKey: string,
    o: { source: string; from: string; outcome: CallOutcome; talkSeconds?: number },
  ): Promise<ApiCall> {
    const visit = await visitorHoldingNumber(t.app, siteKey, {
      landingUrl: `${TEST_ORIGIN}/boilers?utm_source=${encodeURIComponent(o.source)}&utm_medium=cpc`,
    });
    const placed = await carrier().placeCall({
      from: o.from,
      to: visit.number.e164,
      outcome: o.outcome,
      fromZip: '80202',
      ringSeconds: 5,
      talkSeconds: o.talkSeconds ?? 0,
    });
    for (let i = 0; i < 200; i++) {
      const res = await request(t.app)
        .get(`/api/v1/calls/${placed.callSid}`)
        .set('Authorization', t.admin)
        .expect(200);
      if (res.body.score) return res.body as ApiCall;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no score for ${placed.callSid}`);
  }

  /** Waits until every panel has loaded (the status line says when). */
  async function settled(page: Page) {
    await page.waitForFunction(() => {
      const status = document.getElementById('status')?.textContent ?? '';
      return status.startsWith('Updated');
    });
  }

  it('signs in with a marketer key and shows the seeded calls, escaping what callers and visits carried', async () => {
    const { site } = await buildTrackedCampaign(t.ctx, {
      poolSize: 3,
      campaign: { name: HOSTILE_CAMPAIGN },
    });
    const hostile = await visitAndCall(site.siteKey, {
      source: HOSTILE_SOURCE,
      from: '+13035550111',
      outcome: 'answered',
      talkSeconds: 200,
    });
    const short = await visitAndCall(site.siteKey, {
      source: 'google',
      from: '+13035550122',
      outcome: 'answered',
      talkSeconds: 90,
    });
    const missed = await visitAndCall(site.siteKey, {
      source: 'google',
      from: '+13035550133',
      outcome: 'no-answer',
    });
    const seeded = [hostile, short, missed];
    expect(seeded.map((c) => c.outcome)).toEqual(['answered', 'answered', 'missed']);
    expect([hostile.talkSeconds, short.talkSeconds]).toEqual([200, 90]);
    await request(t.app)
      .put(`/api/v1/calls/${short.callSid}/disposition`)
      .set('Authorization', t.admin)
      .send({ disposition: 'appointment booked', note: HOSTILE_NOTE })
      .expect(200);
    const qualified = seeded.filter((c) => c.score?.qualified).length;
    expect(qualified).toBeGreaterThan(0);

    const page = await browser.openPage();
    const cspViolations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    // Holds the summary back a moment, so the loading state can be seen.
    let releaseSummary = () => {};
    const summaryHeld = new Promise<void>((resolve) => (releaseSummary = resolve));
    await page.route('**/api/v1/reports/summary?*', async (route) => {
      await summaryHeld;
      await route.continue();
    });
    await page.goto(`${baseUrl}/dashboard`);
    await page.fill('#key', marketerKey);
    await page.click('#login-submit');
    await page.waitForSelector('#dashboard:not([hidden])');
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'Loading…');
    expect(await page.getAttribute('#dashboard', 'aria-busy')).toBe('true');
    releaseSummary();
    await settled(page);
    await page.unroute('**/api/v1/reports/summary?*');

    // Totals.
    expect(await page.textContent('#t-calls')).toBe('3');
    expect(await page.textContent('#t-answered')).toBe('2');
    expect(await page.textContent('#t-answered-rate')).toBe('67% of calls');
    expect(await page.textContent('#t-qualified')).toBe(String(qualified));
    expect(await page.textContent('#t-first')).toBe('3');
    expect(await page.textContent('#t-talk')).toBe('1:30'); // nearest-rank median of 90 and 200 s

    // The chart: seven days, the three calls on today's bar.
    const bars = await page.$$eval('#chart g.bar', (gs) =>
      gs.map((g) => [g.getAttribute('data-date'), Number(g.getAttribute('data-calls'))]),
    );
    expect(bars).toHaveLength(7);
    expect(bars.reduce((n, [, calls]) => n + Number(calls), 0)).toBe(3);
    expect(bars[6]?.[1]).toBe(3);

    // Attribution by campaign: the campaign's name is text, markup and all.
    const campaignRow = page.locator('#attribution tbody tr', { hasText: 'Boilers' });
    expect(await campaignRow.locator('td').allTextContents()).toEqual([
      HOSTILE_CAMPAIGN,
      '3',
      '2',
      String(qualified),
      '3',
      '0',
      '0',
    ]);

    // Follow-ups: the missed call is open, not yet overdue (the target is minutes away).
    const followUps = await request(t.app)
      .get('/api/v1/reports/follow-ups')
      .set('Authorization', `Bearer ${marketerKey}`)
      .expect(200);
    expect(followUps.body.campaigns).toEqual([
      expect.objectContaining({ missed: 1, open: 1, overdue: 0, calledBack: 0 }),
    ]);
    expect(await page.textContent('#fu-open')).toBe('1');
    expect(await page.textContent('#fu-overdue')).toBe('0');
    expect(await page.locator('#follow-ups tbody td').allTextContents()).toEqual([
      HOSTILE_CAMPAIGN,
      '1',
      '1',
      '0',
      '0',
      '—',
      '—',
    ]);

    // Recent calls: masked callers, the hostile source and note shown as text.
    const rows = page.locator('#calls tbody tr');
    expect(await rows.count()).toBe(3);
    const callers = await page.locator('#calls td.caller').allTextContents();
    expect(callers.sort()).toEqual(['••• 0111', '••• 0122', '••• 0133']);
    const hostileRow = page.locator(`#calls tr[data-call-sid="${hostile.callSid}"]`);
    expect(await hostileRow.locator('td').nth(2).textContent()).toBe(HOSTILE_CAMPAIGN);
    expect(await hostileRow.locator('td').nth(3).textContent()).toBe(`${HOSTILE_SOURCE} / cpc`);
    const duration = hostile.durationSeconds ?? -1;
    expect(await hostileRow.locator('td').nth(4).textContent()).toBe(
      `${Math.floor(duration / 60)}:${String(duration % 60).padStart(2, '0')}`,
    );
    const shortRow = page.locator(`#calls tr[data-call-sid="${short.callSid}"]`);
    expect(await shortRow.locator('.disposition-label').textContent()).toBe('appointment booked');
    expect(await shortRow.locator('.disposition-note').textContent()).toBe(HOSTILE_NOTE);
    expect(await shortRow.locator('.score .pill').textContent()).toBe(short.score?.label);
    const bodyText = (await page.textContent('body')) ?? '';
    for (const c of seeded) expect(bodyText).not.toContain(c.from.slice(2));
    await page.screenshot({
      path: path.join(ARTIFACTS, 'dashboard-signed-in.png'),
      fullPage: true,
    });

    // Attribution by source: the hostile UTM value is a row's text, not an element.
    await page.selectOption('#group-by', 'source');
    const sourceRow = page.locator('#attribution tbody tr', { hasText: 'onerror' });
    await sourceRow.waitFor();
    expect(await sourceRow.locator('td').first().textContent()).toBe(HOSTILE_SOURCE);
    expect(await page.textContent('#group-heading')).toBe('Source');
    const googleRow = page.locator('#attribution tbody tr', { hasText: 'google' });
    expect(await googleRow.locator('td').allTextContents()).toEqual(
      expect.arrayContaining(['google', '2']),
    );

    // Filtering the list by score.
    await page.selectOption('#qualified', 'true');
    await page.waitForFunction(
      (n) => document.querySelectorAll('#calls tbody tr').length === n,
      qualified,
    );
    await page.selectOption('#qualified', 'false');
    await page.waitForFunction(
      (n) => document.querySelectorAll('#calls tbody tr').length === n,
      3 - qualified,
    );
    expect(await page.locator(`#calls tr[data-call-sid="${missed.callSid}"]`).count()).toBe(1);
    await page.selectOption('#qualified', '');
    const missedLabel = missed.score?.label ?? '';
    const sameLabel = seeded.filter((c) => c.score?.label === missedLabel).length;
    await page.selectOption('#label', missedLabel);
    await page.waitForFunction(
      ([label, n]) => {
        const pills = Array.from(document.querySelectorAll('#calls tbody tr .pill'));
        return pills.length === n && pills.every((p) => p.textContent === label);
      },
      [missedLabel, sameLabel] as const,
    );
    expect(await page.locator(`#calls tr[data-call-sid="${missed.callSid}"]`).count()).toBe(1);
    await page.screenshot({
      path: path.join(ARTIFACTS, 'dashboard-filtered.png'),
      fullPage: true,
    });

    // Load more: the page asks for 25 calls a page; here the API is asked for 2.
    await page.route('**/api/v1/calls?*', (route) =>
      route.continue({ url: route.request().url().replace('limit=25', 'limit=2') }),
    );
    await page.selectOption('#label', '');
    await page.waitForFunction(() => document.querySelectorAll('#calls tbody tr').length === 2);
    expect(await page.isVisible('#more')).toBe(true);
    await page.click('#more');
    await page.waitForFunction(() => document.querySelectorAll('#calls tbody tr').length === 3);
    expect(await page.isHidden('#more')).toBe(true);
    const listed = await page.$$eval('#calls tbody tr', (trs) =>
      trs.map((tr) => (tr as HTMLElement).dataset.callSid),
    );
    expect(new Set(listed)).toEqual(new Set(seeded.map((c) => c.callSid)));
    await page.unroute('**/api/v1/calls?*');

    // Nothing ran: no handler fired, no element came from the data, no policy was broken.
    expect(await page.evaluate(() => (window as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('main img, main script, main b, main svg[onload]').count()).toBe(0);
    expect(cspViolations).toEqual([]);
    expect(browser.pageErrors).toEqual([]);

    // The key stays for this tab (a reload keeps the session), and signing out forgets it.
    expect(await page.evaluate(() => sessionStorage.getItem('leadline.dashboardKey'))).toBe(
      marketerKey,
    );
    await page.reload();
    await settled(page);
    expect(await page.textContent('#t-calls')).toBe('3');
    await page.click('#signout');
    await page.waitForSelector('#login:not([hidden])');
    expect(await page.evaluate(() => sessionStorage.getItem('leadline.dashboardKey'))).toBeNull();
    // What the key read is gone from the page, not just hidden.
    expect(await page.textContent('#calls tbody')).toBe('');
    expect(await page.textContent('#attribution tbody')).toBe('');
    expect(await page.textContent('#t-calls')).toBe('—');
  }, 90_000);

  it('says so when the key is refused (401) or may not read the reports (403), and keeps no key', async () => {
    const page = await browser.openPage();
    await page.goto(`${baseUrl}/dashboard`);
    await page.fill('#key', 'll_mkt_not-a-real-key');
    await page.click('#login-submit');
    await page.waitForSelector('#login-error:not([hidden])');
    expect(await page.textContent('#login-error')).toBe(
      'That API key was not accepted: it may be mistyped, revoked or expired.',
    );
    expect(await page.isHidden('#dashboard')).toBe(true);
    expect(await page.evaluate(() => sessionStorage.getItem('leadline.dashboardKey'))).toBeNull();
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-wrong-key.png') });

    // No role lacks these reads today; a 403 (a narrower role later) gets its own message.
    await page.route('**/api/v1/campaigns', (route) =>
      route.fulfill({
        status: 403,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'insufficient_role', message: 'no' } }),
      }),
    );
    await page.fill('#key', marketerKey);
    await page.click('#login-submit');
    await page.waitForFunction(() =>
      (document.getElementById('login-error')?.textContent ?? '').includes('may not read'),
    );
    expect(await page.isHidden('#dashboard')).toBe(true);
    expect(await page.evaluate(() => sessionStorage.getItem('leadline.dashboardKey'))).toBeNull();

    // A key revoked while the dashboard is open signs it out with the same message as a bad key.
    await page.unroute('**/api/v1/campaigns');
    const doomed = await t.ctx.keys.createKey('marketer', 'revoked while open');
    await page.fill('#key', doomed.key);
    await page.click('#login-submit');
    await settled(page);
    await t.ctx.keys.revoke(doomed.id);
    await page.click('.preset[data-days="30"]');
    await page.waitForSelector('#login:not([hidden])');
    expect(await page.textContent('#login-error')).toContain('not accepted');
    expect(browser.pageErrors).toEqual([]);
  }, 60_000);
});
