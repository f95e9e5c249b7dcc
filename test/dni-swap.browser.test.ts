import { sql } from 'drizzle-orm';
import type { TwilioStandin } from '../src/demo/twilio-rest/standin';
import { ManualClock } from './support/clock';
import { createTestContext, type TestContext } from './support/context';
import {
  createTestBrowser,
  describeInBrowser,
  DESKTOP_USER_AGENT,
  settledBody,
  sleep,
} from './support/dni-browser';
import {
  answered,
  createScriptedLeadline,
  HOLD_SECONDS,
  LONGER_TOKENS,
  phone,
  recordSessionCalls,
  RELEASED_AND_REPLACED,
  renderFixturePage,
  SCRIPTED,
  spell,
  startFixtureServer,
  TARGET,
  UK_TRACKING,
  waitFor,
  type FixtureServer,
  type Phone,
} from './support/dni-fixture';
import { buildCampaign, buildPool, buildSite } from './support/factories';
import { startTestTwilio } from './support/twilio';

// The site and Leadline are served from different origins (localhost vs 127.0.0.1) so the
// script's cross-origin fetch, CORS and first-party cookies are exercised as in production.
// Leadline is the real app over a fresh database, except where a test needs it to misbehave on
// cue (hold an answer, move a lease, fail, sell a UK number): there a scripted endpoint stands in.

interface LeadlineWindow {
  leadlineConsent?: boolean;
  Leadline: { refresh(): void };
}

const browser = createTestBrowser();
const { openPage, referencePage, visitorCookie } = browser;

beforeAll(() => browser.launch());

beforeEach(() => {
  browser.pageErrors = [];
});

afterEach(async () => {
  await browser.context?.close();
  expect(browser.pageErrors).toEqual([]);
});

afterAll(async () => {
  await browser.close();
});

interface StoredVisit {
  sessionId: string;
  visitorId: string | null;
  landingUrl: string;
  referrerDomain: string | null;
  source: string | null;
  medium: string | null;
  utmCampaign: string | null;
  gclid: string | null;
  device: string | null;
  shared: boolean;
  e164: string | null;
}

interface StoredLease {
  sessionId: string;
  e164: string;
  startedAt: string;
  expiresAt: string;
}

describeInBrowser('dni.js in a browser, against Leadline', () => {
  // Leadline's clock is moved by hand, so a renewal shows as an exact new lease expiry.
  const clock = new ManualClock(new Date());
  let t: TestContext;
  let twilio: TwilioStandin;
  let server: FixtureServer;
  let acme: { siteKey: string; siteId: string; campaignId: string };
  const calls = recordSessionCalls((req, res) => {
    t.app(req, res);
  });

  beforeAll(async () => {
    const tw = await startTestTwilio();
    twilio = tw.standin;
    t = await createTestContext({ env: { ...tw.env, DNI_RATE_LIMIT_PER_MINUTE: '1000' }, clock });
    server = await startFixtureServer({
      leadline: calls.handle,
      renderPage: (url, leadlineOrigin) =>
        renderFixturePage(url, leadlineOrigin, { acme: acme.siteKey }),
    });
  });

  // Each test gets its own site, default campaign and pool, so the rows it reads are its own.
  beforeEach(async () => {
    calls.reset();
    const site = await buildSite(t.ctx, {
      allowedOrigins: [server.siteOrigin],
      swapTargets: [TARGET],
    });
    const campaign = await buildCampaign(t.ctx, { siteId: site.id, holdSeconds: HOLD_SECONDS });
    await buildPool(t.ctx, campaign.id, 2);
    acme = { siteKey: site.siteKey, siteId: site.id, campaignId: campaign.id };
  });

  afterAll(async () => {
    await server?.close();
    await t?.close();
    await twilio?.close();
  });

  async function storedVisits(): Promise<StoredVisit[]> {
    return t.ctx.database.rows<StoredVisit>(sql`
      select s.id as "sessionId", s.visitor_id as "visitorId", s.landing_url as "landingUrl",
             s.referrer_domain as "referrerDomain", s.source, s.medium,
             s.utm_campaign as "utmCampaign", s.gclid, s.device, s.shared, n.e164
      from visitor_sessions s left join tracking_numbers n on n.id = s.number_id
      where s.site_id = ${acme.siteId}
      order by s.created_at`);
  }

  async function storedLeases(): Promise<StoredLease[]> {
    // Renewals are answered from memory and written in batches: write what is pending first.
    await t.ctx.dni.flushRenewals();
    const rows = await t.ctx.database.rows<Record<keyof StoredLease, string | Date>>(sql`
      select l.session_id as "sessionId", n.e164, l.started_at as "startedAt",
             l.expires_at as "expiresAt"
      from number_leases l join tracking_numbers n on n.id = l.number_id
      where l.campaign_id = ${acme.campaignId}
      order by l.id`);
    return rows.map((r) => ({
      sessionId: String(r.sessionId),
      e164: String(r.e164),
      startedAt: new Date(r.startedAt).toISOString(),
      expiresAt: new Date(r.expiresAt).toISOString(),
    }));
  }

  /** When a lease renewed now runs out. */
  const heldFromNow = () => new Date(clock.now().getTime() + HOLD_SECONDS * 1000).toISOString();

  /** Waits for Leadline's answer to the `index`th fetch; returns the visit it stored and its number. */
  async function storedVisit(index = 0): Promise<{ visit: StoredVisit; leased: Phone }> {
    await answered(calls, index, `session ${index + 1}`);
    const visits = await storedVisits();
    expect(visits).toHaveLength(1);
    const [visit] = visits;
    if (!visit?.e164) throw new Error('Leadline stored no visit with a leased number');
    return { visit, leased: phone(visit.e164) };
  }

  async function provisionSourceNumber(): Promise<Phone> {
    const [source] = await buildPool(t.ctx, acme.campaignId, 1, { kind: 'source' });
    if (!source) throw new Error('no source number was provisioned');
    return phone(source.e164);
  }

  it('swaps every printed target for the leased number in its own format and changes nothing else', async () => {
    const page = await openPage();
    await page.goto(`${server.siteOrigin}/landing`);
    const { leased } = await storedVisit();
    const live = await settledBody(page, spell('{a}-{x}-{l}', leased));

    const [expected, original] = await Promise.all([
      referencePage(
        `${server.siteOrigin}/expected/landing?number=${encodeURIComponent(leased.e164)}`,
      ),
      referencePage(`${server.siteOrigin}/original/landing`),
    ]);
    expect(expected).not.toBe(original);
    expect(live).toBe(expected);

    expect(await page.textContent('#split')).toBe(leased.national);
    expect(await page.textContent('#split-mid')).toBe(leased.national);
    expect(await page.inputValue('#phone-input')).toBe('(415) 555-0100');
    expect(await page.inputValue('#notes')).toBe('Call me at (415) 555-0100');
    expect(calls.fetched().map((c) => c.body)).toEqual([
      {
        siteKey: acme.siteKey,
        landingUrl: `${server.siteOrigin}/landing`,
        referrer: '',
        userAgent: DESKTOP_USER_AGENT,
      },
    ]);
  });

  it('points tel: and sms: links and data-phone at the leased number in E.164', async () => {
    const page = await openPage();
    await page.goto(`${server.siteOrigin}/landing`);
    const { leased } = await storedVisit();
    await settledBody(page, spell('{a}-{x}-{l}', leased));

    expect(await page.getAttribute('#tel1', 'href')).toBe(`tel:${leased.e164}`);
    expect(await page.getAttribute('#tel2', 'href')).toBe(`tel:${leased.e164}`);
    expect(await page.getAttribute('#late-tel', 'href')).toBe(`tel:${leased.e164}`);
    expect(await page.getAttribute('#sms1', 'href')).toBe(`sms:${leased.e164}?body=Hi`);
    expect(await page.getAttribute('#cta', 'data-phone')).toBe(leased.e164);
    // Other numbers, other schemes, unlisted attributes and ignored regions stay as they were.
    expect(await page.getAttribute('#cta', 'aria-label')).toBe('Call (415) 555-0100');
    expect(await page.getAttribute('#mail', 'href')).toBe(
      'mailto:help@acme.test?subject=4155550100',
    );
    expect(await page.getAttribute('#billing', 'href')).toBe('tel:+14155550100');
    expect(await page.getAttribute('#sales', 'href')).toBe('tel:+14155550101');
  });

  it('swaps what a single-page app renders after the first swap, without looping', async () => {
    const page = await openPage();
    await page.goto(`${server.siteOrigin}/landing`);
    const { leased } = await storedVisit();
    await settledBody(page, spell('{a}-{x}-{l}', leased));

    await page.evaluate(() => {
      const w = window as unknown as { mutations: number };
      w.mutations = 0;
      new MutationObserver((records) => (w.mutations += records.length)).observe(document.body, {
        subtree: true,
        childList: true,
        characterData: true,
        attributes: true,
      });
      const route = document.createElement('section');
      route.id = 'route';
      route.innerHTML = '<p>Call <span>(415)</span> 555-<b>0100</b> or (415) 555-0101</p>';
      document.body.appendChild(route);
      const status = document.getElementById('status')?.firstChild;
      if (status instanceof Text) status.data = 'Now: +1 415 555 0100';
      document.getElementById('tel1')?.setAttribute('href', 'tel:4155550100');
    });
    await page.waitForFunction(
      (want) =>
        document.getElementById('route')?.textContent === want.route &&
        document.getElementById('status')?.textContent === want.status &&
        document.getElementById('tel1')?.getAttribute('href') === want.href,
      {
        route: `Call ${leased.national} or (415) 555-0101`,
        status: spell('Now: +1 {a} {x} {l}', leased),
        href: `tel:${leased.e164}`,
      },
    );
    expect(await page.innerHTML('#route')).toBe(
      spell('<p>Call <span>({a})</span> {x}-<b>{l}</b> or (415) 555-0101</p>', leased),
    );

    // Once settled, nothing keeps rewriting the page (our own edits do not retrigger us).
    const count = () => page.evaluate(() => (window as unknown as { mutations: number }).mutations);
    await sleep(300);
    const settled = await count();
    await sleep(500);
    expect(await count()).toBe(settled);
    expect(calls.fetched()).toHaveLength(1);
  });

  it('keeps the visitor and its number on the next page and stores the original landing page', async () => {
    const landingUrl = `${server.siteOrigin}/landing?utm_source=google&utm_medium=cpc&utm_campaign=spring&gclid=abc123`;
    const leasedAt = clock.now().toISOString();
    const page = await openPage();
    await page.goto(landingUrl, { referer: 'https://www.google.com/' });
    const { visit, leased } = await storedVisit();

    clock.advance(5 * 60_000);
    await page.click('#next');
    await page.waitForURL('**/pricing');
    await answered(calls, 1, 'the second session');
    await settledBody(page, spell('{a}-{x}-{l}', leased));
    expect(await page.textContent('#split')).toBe(leased.national);

    const [first, second] = calls.fetched();
    expect(first?.body?.visitorId).toBeUndefined();
    expect(first?.body).toMatchObject({ landingUrl, referrer: 'https://www.google.com/' });
    expect(second?.body).toMatchObject({
      visitorId: visit.visitorId,
      landingUrl,
      referrer: 'https://www.google.com/',
    });
    // One visit, attributed to the ad that brought it, and the same lease renewed by page 2.
    expect(await storedVisits()).toEqual([
      {
        sessionId: visit.sessionId,
        visitorId: expect.stringMatching(/^v_/),
        landingUrl,
        referrerDomain: 'google.com',
        source: 'google',
        medium: 'cpc',
        utmCampaign: 'spring',
        gclid: 'abc123',
        device: 'desktop',
        shared: false,
        e164: leased.e164,
      },
    ]);
    expect(await storedLeases()).toEqual([
      {
        sessionId: visit.sessionId,
        e164: leased.e164,
        startedAt: leasedAt,
        expiresAt: heldFromNow(),
      },
    ]);

    const cookie = await visitorCookie();
    expect(cookie).toMatchObject({ value: visit.visitorId, sameSite: 'Lax', path: '/' });
    const yearFromNow = Date.now() / 1000 + 365 * 24 * 3600;
    expect(Math.abs((cookie?.expires ?? 0) - yearFromNow)).toBeLessThan(120);

    // A new tab is a new visit to the script, but still the same visitor with the same number.
    const later = await browser.context.newPage();
    await later.goto(`${server.siteOrigin}/pricing`);
    await answered(calls, 2, 'the third session');
    expect(calls.fetched()[2]?.body).toMatchObject({
      visitorId: visit.visitorId,
      landingUrl: `${server.siteOrigin}/pricing`,
    });
    await settledBody(later, spell('{a}-{x}-{l}', leased));
    expect(await later.textContent('#split')).toBe(leased.national);
    expect((await storedVisits()).map((v) => v.sessionId)).toEqual([visit.sessionId]);
    expect((await storedLeases()).map((l) => l.e164)).toEqual([leased.e164]);
  });

  it('sends no visitor id, stores nothing and shows the source number under Do-Not-Track', async () => {
    const source = await provisionSourceNumber();
    const page = await openPage(async (ctx) => {
      await ctx.addInitScript(() => {
        Object.defineProperty(Navigator.prototype, 'doNotTrack', { get: () => '1' });
      });
      await ctx.addCookies([{ name: '_ll_vid', value: 'v-earlier', url: server.siteOrigin }]);
    });
    await page.goto(`${server.siteOrigin}/landing?utm_source=newsletter`);
    await answered(calls, 0, 'the anonymous session');
    await settledBody(page, spell('{a}-{x}-{l}', source));

    expect(calls.fetched()).toEqual([
      {
        contentType: 'application/json',
        status: 200,
        body: {
          siteKey: acme.siteKey,
          landingUrl: `${server.siteOrigin}/landing?utm_source=newsletter`,
          referrer: '',
          anonymous: true,
        },
      },
    ]);
    expect(await page.textContent('#split')).toBe(source.national);
    expect(await page.getAttribute('#tel1', 'href')).toBe(`tel:${source.e164}`);
    expect(await storedVisits()).toEqual([]);
    expect(await storedLeases()).toEqual([]);
    expect(await page.evaluate(() => [localStorage.length, sessionStorage.length])).toEqual([0, 0]);
    const cookies = await browser.context.cookies();
    expect(cookies.map((c) => `${c.name}=${c.value}`)).toEqual(['_ll_vid=v-earlier']);
  });

  it('sends no visitor id, stores nothing and shows the source number under Global Privacy Control', async () => {
    const source = await provisionSourceNumber();
    const page = await openPage(async (ctx) => {
      await ctx.addInitScript(() => {
        Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true });
      });
      await ctx.addCookies([{ name: '_ll_vid', value: 'v-earlier', url: server.siteOrigin }]);
    });
    await page.goto(`${server.siteOrigin}/landing?utm_source=newsletter`);
    await answered(calls, 0, 'the anonymous session');
    await settledBody(page, spell('{a}-{x}-{l}', source));

    expect(calls.fetched()).toEqual([
      {
        contentType: 'application/json',
        status: 200,
        body: {
          siteKey: acme.siteKey,
          landingUrl: `${server.siteOrigin}/landing?utm_source=newsletter`,
          referrer: '',
          anonymous: true,
        },
      },
    ]);
    expect(await page.textContent('#split')).toBe(source.national);
    expect(await storedVisits()).toEqual([]);
    expect(await storedLeases()).toEqual([]);
    expect(await page.evaluate(() => [localStorage.length, sessionStorage.length])).toEqual([0, 0]);
  });

  it('stays anonymous until the site records consent, then leases a number after refresh()', async () => {
    const source = await provisionSourceNumber();
    const page = await openPage();
    await page.goto(`${server.siteOrigin}/consent`);
    await answered(calls, 0, 'the anonymous session');
    await settledBody(page, spell('{a}-{x}-{l}', source));
    expect(calls.fetched()[0]?.body?.anonymous).toBe(true);
    expect(await storedVisits()).toEqual([]);

    await page.evaluate(() => {
      const w = window as unknown as LeadlineWindow;
      w.leadlineConsent = true;
      w.Leadline.refresh();
    });
    const { visit, leased } = await storedVisit(1);
    await page.waitForFunction(
      (national) => document.getElementById('split')?.textContent === national,
      leased.national,
    );
    expect(leased.e164).not.toBe(source.e164);
    expect(calls.fetched()[1]?.body).toEqual({
      siteKey: acme.siteKey,
      landingUrl: `${server.siteOrigin}/consent`,
      referrer: '',
      userAgent: DESKTOP_USER_AGENT,
    });
    expect((await visitorCookie())?.value).toBe(visit.visitorId);
  });

  it('renews the lease every min(holdSeconds/2, 600) s and by beacon on pagehide', async () => {
    const leasedAt = clock.now().toISOString();
    const page = await openPage();
    await page.clock.install();
    await page.goto(`${server.siteOrigin}/landing`);
    const { visit, leased } = await storedVisit();

    await page.clock.fastForward(590_000);
    await sleep(300);
    expect(calls.fetched()).toHaveLength(1);
    clock.advance(605_000);
    await page.clock.fastForward(15_000);
    const renewal = await answered(calls, 1, 'the renewal');
    expect(renewal).toMatchObject({
      contentType: 'application/json',
      status: 200,
      body: { visitorId: visit.visitorId },
    });
    const renewed = { sessionId: visit.sessionId, e164: leased.e164, startedAt: leasedAt };
    expect(await storedLeases()).toEqual([{ ...renewed, expiresAt: heldFromNow() }]);

    // Beacons left over from earlier tests' pages belong to other visitors.
    const ours = () => calls.beacons().filter((c) => c.body?.visitorId === visit.visitorId);
    expect(ours()).toEqual([]);
    clock.advance(60_000);
    await page.goto('about:blank');
    await waitFor(() => ours().length === 1, 'the pagehide beacon');
    expect(ours()[0]).toMatchObject({
      status: 200,
      body: { siteKey: acme.siteKey, landingUrl: `${server.siteOrigin}/landing` },
    });
    expect(await storedLeases()).toEqual([{ ...renewed, expiresAt: heldFromNow() }]);
  });
});

describeInBrowser('dni.js in a browser, against a scripted session endpoint', () => {
  const scripted = createScriptedLeadline();
  const calls = recordSessionCalls(scripted.handle);
  let server: FixtureServer;

  beforeAll(async () => {
    server = await startFixtureServer({ leadline: calls.handle, renderPage: renderFixturePage });
  });

  beforeEach(() => {
    scripted.reset();
    calls.reset();
  });

  // Releases held answers before the page's context is closed.
  afterEach(() => scripted.reset());

  afterAll(async () => {
    await server?.close();
  });

  it('swaps from the cached number on the next page before a slow server answers', async () => {
    const page = await openPage();
    await page.goto(`${server.siteOrigin}/landing`);
    await settledBody(page, '628-555-0199');

    scripted.sites.acme = { swapTargets: [TARGET], number: RELEASED_AND_REPLACED };
    const release = scripted.holdAnswers();
    await page.goto(`${server.siteOrigin}/pricing`, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(
      (national) => (document.getElementById('formats')?.textContent ?? '').includes(national),
      SCRIPTED.national,
      { timeout: 3000 },
    );
    expect(calls.fetched()).toHaveLength(2);
    expect(calls.fetched()[1]?.status).toBeUndefined();

    // The server moved the lease: the cached number on the page is replaced everywhere.
    release();
    await settledBody(page, '555-0142');
    const text = await page.textContent('body');
    expect(text).toContain('Call (628) 555-0142 today');
    expect(text).toContain('+1 (628) 555-0142');
    expect(text).not.toMatch(/628\D{0,2}555\D?0199/);
    expect(await page.getAttribute('#tel1', 'href')).toBe(`tel:${RELEASED_AND_REPLACED.e164}`);
  });

  it('swaps international targets digit for digit and writes mismatched lengths whole', async () => {
    const page = await openPage();
    await page.goto(`${server.siteOrigin}/uk`);
    await answered(calls, 0, 'the session');
    await page.waitForFunction(
      () => document.getElementById('uk1')?.textContent !== '+44 20 7946 0958',
    );
    const live = await page.evaluate(() => document.body.innerHTML);
    expect(live).toBe(await referencePage(`${server.siteOrigin}/expected/uk`));
    expect(await page.textContent('#uk1')).toBe('+44 20 3808 5555');
    expect(await page.getAttribute('#uk-tel', 'href')).toBe(`tel:${UK_TRACKING.e164}`);
  });

  it('leaves the target alone inside order numbers, SKUs and longer digit runs', async () => {
    const page = await openPage();
    await page.goto(`${server.siteOrigin}/landing`);
    await answered(calls, 0, 'the session');
    await settledBody(page, spell('{a}-{x}-{l}', phone(SCRIPTED.e164)));
    expect(await page.textContent('#tokens')).toBe(LONGER_TOKENS);
    // The same page's whole phone numbers were swapped, so the script did run on this text.
    expect(await page.textContent('#split')).toBe(SCRIPTED.national);
  });

  it('leaves the page untouched when the session endpoint fails', async () => {
    const page = await openPage();
    await page.goto(`${server.siteOrigin}/broken`);
    expect(await answered(calls, 0, 'the failed session')).toMatchObject({ status: 500 });
    const live = await settledBody(page);
    await sleep(200);
    expect(await page.evaluate(() => document.body.innerHTML)).toBe(live);
    expect(live).toBe(await referencePage(`${server.siteOrigin}/original/landing`));
    expect(await page.evaluate(() => document.cookie)).toBe('');
  });
});
