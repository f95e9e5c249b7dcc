import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { getDniScript, getDniScriptEtag } from '../src/numbers/dni-script';

// The site and Leadline are served from different origins (localhost vs 127.0.0.1) so the
// script's cross-origin fetch, CORS and first-party cookies are exercised as in production.

interface TrackingNumber {
  e164: string;
  national: string;
}

interface SessionBody {
  siteKey?: string;
  visitorId?: string;
  landingUrl?: string;
  referrer?: string;
  userAgent?: string;
  anonymous?: boolean;
}

interface RecordedSession {
  body: SessionBody;
  contentType: string;
  answered: boolean;
  visitorId?: string;
}

interface FakeSite {
  swapTargets: string[];
  number: TrackingNumber;
  anonymousNumber: TrackingNumber;
  holdSeconds: number;
  failWithStatus?: number;
}

interface LeadlineWindow {
  leadlineConsent?: boolean;
  Leadline: { refresh(): void };
}

const TARGET = '+14155550100';
const TRACKING: TrackingNumber = { e164: '+16285550199', national: '(628) 555-0199' };
const RELEASED_AND_REPLACED: TrackingNumber = { e164: '+16285550142', national: '(628) 555-0142' };
const SOURCE_LEVEL: TrackingNumber = { e164: '+16285550111', national: '(628) 555-0111' };
const UK_TARGET = '+442079460958';
const UK_TRACKING: TrackingNumber = { e164: '+442038085555', national: '020 3808 5555' };

const ACME: FakeSite = {
  swapTargets: [TARGET],
  number: TRACKING,
  anonymousNumber: SOURCE_LEVEL,
  holdSeconds: 1800,
};

function defaultSites(): Record<string, FakeSite> {
  return {
    acme: ACME,
    'acme-broken': { ...ACME, failWithStatus: 500 },
    'acme-uk': { ...ACME, swapTargets: [UK_TARGET, TARGET], number: UK_TRACKING },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** A stand-in for POST /dni/v1/sessions that records what the script sent. */
function createFakeSessions() {
  const requests: RecordedSession[] = [];
  let sites = defaultSites();
  let nextVisitor = 1;
  let gate: Promise<void> | undefined;
  let openGate = (): void => undefined;

  async function respond(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const origin = req.headers.origin;
    if (origin) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'POST',
        'Access-Control-Allow-Headers': 'content-type',
        'Access-Control-Max-Age': '600',
      });
      res.end();
      return;
    }
    const body = JSON.parse(await readBody(req)) as SessionBody;
    const record: RecordedSession = {
      body,
      contentType: req.headers['content-type'] ?? '',
      answered: false,
    };
    requests.push(record);
    if (gate) await gate;
    const site = body.siteKey ? sites[body.siteKey] : undefined;
    if (!site) {
      sendJson(res, 404, { error: { code: 'site_not_found', message: 'unknown siteKey' } });
      return;
    }
    const visitorId = body.anonymous ? undefined : (body.visitorId ?? `v-${nextVisitor++}`);
    const session = {
      visitorId,
      sessionId: `s-${requests.length}`,
      campaignId: 'c-1',
      number: body.anonymous ? site.anonymousNumber : site.number,
      expiresAt: new Date(Date.now() + site.holdSeconds * 1000).toISOString(),
      swapTargets: site.swapTargets,
      holdSeconds: site.holdSeconds,
    };
    // A failing server still answers with a session-shaped body: the script must check status.
    sendJson(res, site.failWithStatus ?? 200, session);
    record.visitorId = visitorId;
    record.answered = true;
  }

  const handleSession: RequestListener = (req, res) => {
    respond(req, res).catch(() => sendJson(res, 400, { error: { code: 'bad_request' } }));
  };

  return {
    handleSession,
    requests,
    /** Requests sent with fetch; beacons from pages being left or closed are excluded. */
    fetched: () => requests.filter((r) => r.contentType.startsWith('application/json')),
    beacons: () => requests.filter((r) => r.contentType.startsWith('text/plain')),
    get sites() {
      return sites;
    },
    /** Holds every answer until the returned function is called. */
    holdAnswers(): () => void {
      gate = new Promise((resolve) => (openGate = resolve));
      return () => {
        gate = undefined;
        openGate();
      };
    },
    reset(): void {
      requests.length = 0;
      sites = defaultSites();
      gate = undefined;
      openGate();
    },
  };
}

interface FixtureServer {
  siteOrigin: string;
  leadlineOrigin: string;
  close(): Promise<void>;
}

/**
 * Serves the fixture site, GET /dni.js and hands /dni/v1/sessions to handleSession, which can
 * be a stand-in or the real Leadline app.
 */
async function startFixtureServer({
  handleSession,
  renderPage,
}: {
  handleSession: RequestListener;
  renderPage: (url: URL, leadlineOrigin: string) => string | undefined;
}): Promise<FixtureServer> {
  let leadlineOrigin = '';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    if (url.pathname === '/dni/v1/sessions') {
      handleSession(req, res);
      return;
    }
    if (req.method === 'GET' && url.pathname === '/dni.js') {
      res.writeHead(200, {
        'Content-Type': 'application/javascript; charset=utf-8',
        ETag: getDniScriptEtag(),
      });
      res.end(getDniScript());
      return;
    }
    const html = req.method === 'GET' ? renderPage(url, leadlineOrigin) : undefined;
    if (html === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  leadlineOrigin = `http://127.0.0.1:${port}`;
  return {
    siteOrigin: `http://localhost:${port}`,
    leadlineOrigin,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// Fixture pages mark each place the script must change as [[original|swapped]]: the live page
// shows the left side, the expected page the right side, and everything else is shared.
type PageMode = 'live' | 'expected' | 'original';

function fill(template: string, mode: PageMode): string {
  return template.replace(/\[\[(.*?)\|(.*?)\]\]/g, (_all, before: string, after: string) =>
    mode === 'expected' ? after : before,
  );
}

const LATE_CONTENT_SCRIPT = `<script>
  addEventListener('load', function () {
    setTimeout(function () {
      var late = document.createElement('div');
      late.id = 'late';
      late.innerHTML = 'Just added: <span>[[415-555-0100|628-555-0199]]</span> ' +
        '<a id="late-tel" href="[[tel:+14155550100|tel:+16285550199]]">call</a>, sales (415) 555-0101';
      document.body.appendChild(late);
      document.getElementById('status').textContent = 'Lines open: [[415.555.0100|628.555.0199]]';
      document.body.setAttribute('data-ready', '1');
    }, 200);
  });
</script>`;

const READY_ON_LOAD_SCRIPT = `<script>
  addEventListener('load', function () { document.body.setAttribute('data-ready', '1'); });
</script>`;

const ACME_BODY = `
<h1>Acme Plumbing</h1>
<p id="status">Loading</p>
<ul id="formats">
  <li>Call [[(415) 555-0100|(628) 555-0199]] today</li>
  <li>[[415-555-0100|628-555-0199]]</li>
  <li>[[415.555.0100|628.555.0199]]</li>
  <li>[[415 555 0100|628 555 0199]]</li>
  <li>[[+1 415 555 0100|+1 628 555 0199]]</li>
  <li>[[1-415-555-0100|1-628-555-0199]]</li>
  <li>[[+1 (415) 555-0100|+1 (628) 555-0199]]</li>
  <li>[[4155550100|6285550199]]</li>
  <li>[[+14155550100|+16285550199]]</li>
  <li>[[415&nbsp;555&nbsp;0100|628&nbsp;555&nbsp;0199]]</li>
  <li>Sales (415) 555-0101, main line [[(415) 555-0100|(628) 555-0199]].</li>
</ul>
<p id="split"><span>([[415|628]])</span> <b>555</b>-[[0100|0199]]</p>
<p id="split-mid"><span>([[41|62]]</span>[[5|8]]) 555-01<i>[[00|99]]</i></p>
<p id="split-lines"><em>+1</em>
  <strong>[[415|628]]</strong>
  555 <strong>[[0100|0199]]</strong></p>
<p id="links">
  <a id="tel1" href="[[tel:+14155550100|tel:+16285550199]]">[[(415) 555-0100|(628) 555-0199]]</a>
  <a id="tel2" href="[[tel:415-555-0100|tel:+16285550199]]">Call us</a>
  <a id="sms1" href="[[sms:+14155550100?body=Hi|sms:+16285550199?body=Hi]]">Text us</a>
  <a id="mail" href="mailto:help@acme.test?subject=4155550100">Email</a>
  <button id="cta" data-phone="[[+14155550100|+16285550199]]" aria-label="Call (415) 555-0100">Call</button>
  <a id="next" href="/pricing">Pricing</a>
</p>
<div data-leadline-ignore><p>Billing: (415) 555-0100 <a href="tel:+14155550100">call billing</a></p></div>
<script>window.fallbackPhone = '(415) 555-0100';</script>
<style>/* support 415-555-0100 */</style>
<noscript>Call (415) 555-0100</noscript>
<form>
  <input id="phone-input" name="phone" value="(415) 555-0100">
  <textarea id="notes">Call me at (415) 555-0100</textarea>
  <select><option>415-555-0100</option></select>
</form>
<div contenteditable="true">Draft: (415) 555-0100</div>
<ul id="others">
  <li>Fax 415-555-0199</li>
  <li>London +44 20 7946 0958 or +442079460958</li>
  <li>Order #41555501001, ref 1415555010012, +1 415 555 01000, part A4155550100</li>
  <li>Open 7-21, 365 days, since 1999, 24/7, v2.4.1</li>
  <li>Toll free 1-800-555-0100</li>
  <li><a href="tel:+14155550101">(415) 555-0101</a></li>
</ul>
`;

const UK_BODY = `
<p id="uk1">[[+44 20 7946 0958|+44 20 3808 5555]]</p>
<p id="uk2">[[+442079460958|+442038085555]]</p>
<p><a id="uk-tel" href="[[tel:+442079460958|tel:+442038085555]]">Call London</a></p>
<p id="us">[[(415) 555-0100|020 3808 5555]] or [[+1 415 555 0100|+442038085555]]</p>
<p id="uk-others">+44 20 7946 0959, 442079460958, 020 7946 0958</p>
`;

function renderFixturePage(url: URL, leadlineOrigin: string): string | undefined {
  const [, modePart, name] = /^\/(?:(expected|original)\/)?([\w-]+)$/.exec(url.pathname) ?? [];
  const mode: PageMode = modePart === 'expected' || modePart === 'original' ? modePart : 'live';
  const acme = { site: 'acme', body: ACME_BODY, head: LATE_CONTENT_SCRIPT, attrs: '' };
  const pages: Record<string, typeof acme> = {
    landing: acme,
    pricing: acme,
    consent: { ...acme, attrs: ' data-consent="required"' },
    broken: { ...acme, site: 'acme-broken' },
    uk: { site: 'acme-uk', body: UK_BODY, head: READY_ON_LOAD_SCRIPT, attrs: '' },
  };
  const page = name ? pages[name] : undefined;
  if (!page) return undefined;
  const tag =
    mode === 'live'
      ? `<script src="${leadlineOrigin}/dni.js" data-site="${page.site}"` +
        ` data-leadline-attrs="data-phone"${page.attrs} async></script>`
      : '';
  return `<!doctype html><html><head><meta charset="utf-8"><title>Acme</title>${tag}
${fill(page.head, mode)}</head><body>${fill(page.body, mode)}</body></html>`;
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function settledBody(page: Page, swappedText?: string): Promise<string> {
  await page.waitForFunction(
    (text) =>
      document.body.dataset.ready === '1' &&
      (!text || (document.getElementById('late')?.textContent ?? '').includes(text)),
    swappedText,
    { timeout: 5000 },
  );
  return page.evaluate(() => document.body.innerHTML);
}

describe('dni.js in a browser', () => {
  const sessions = createFakeSessions();
  let server: FixtureServer;
  let browser: Browser;
  let context: BrowserContext;
  let pageErrors: Error[];

  async function openPage(init?: (ctx: BrowserContext) => Promise<void>): Promise<Page> {
    context = await browser.newContext();
    // Fail fast with the waiting step's name instead of hitting jest's timeout.
    context.setDefaultTimeout(5000);
    if (init) await init(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error));
    return page;
  }

  async function referencePage(path: string): Promise<string> {
    const page = await context.newPage();
    await page.goto(`${server.siteOrigin}${path}`);
    const html = await settledBody(page);
    await page.close();
    return html;
  }

  beforeAll(async () => {
    server = await startFixtureServer({
      handleSession: sessions.handleSession,
      renderPage: renderFixturePage,
    });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    });
  });

  beforeEach(() => {
    pageErrors = [];
    sessions.reset();
  });

  afterEach(async () => {
    sessions.reset();
    await context?.close();
    expect(pageErrors).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('swaps every printed target in its own format and changes nothing else', async () => {
    const page = await openPage();
    await page.goto(`${server.siteOrigin}/landing`);
    const live = await settledBody(page, '628');

    const [expected, original] = await Promise.all([
      referencePage('/expected/landing'),
      referencePage('/original/landing'),
    ]);
    expect(expected).not.toBe(original);
    expect(live).toBe(expected);

    expect(await page.getAttribute('#tel2', 'href')).toBe(`tel:${TRACKING.e164}`);
    expect(await page.getAttribute('#late-tel', 'href')).toBe(`tel:${TRACKING.e164}`);
    expect(await page.textContent('#split')).toBe('(628) 555-0199');
    expect(await page.inputValue('#phone-input')).toBe('(415) 555-0100');
    expect(await page.inputValue('#notes')).toBe('Call me at (415) 555-0100');
    expect(sessions.fetched()[0]?.body).toEqual({
      siteKey: 'acme',
      landingUrl: `${server.siteOrigin}/landing`,
      referrer: '',
      userAgent: expect.any(String),
    });
  });

  it('swaps what a single-page app renders after the first swap, without looping', async () => {
    const page = await openPage();
    await page.goto(`${server.siteOrigin}/landing`);
    await settledBody(page, '628');

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
      () =>
        document.getElementById('route')?.textContent === 'Call (628) 555-0199 or (415) 555-0101' &&
        document.getElementById('status')?.textContent === 'Now: +1 628 555 0199' &&
        document.getElementById('tel1')?.getAttribute('href') === 'tel:+16285550199',
    );
    expect(await page.innerHTML('#route')).toBe(
      '<p>Call <span>(628)</span> 555-<b>0199</b> or (415) 555-0101</p>',
    );

    // Once settled, nothing keeps rewriting the page (our own edits do not retrigger us).
    const count = () => page.evaluate(() => (window as unknown as { mutations: number }).mutations);
    await sleep(300);
    const settled = await count();
    await sleep(500);
    expect(await count()).toBe(settled);
    expect(sessions.fetched()).toHaveLength(1);
  });

  it('keeps the visitor id and reports the original landing page from page 2', async () => {
    const landingUrl = `${server.siteOrigin}/landing?utm_source=google&utm_medium=cpc&utm_campaign=spring&gclid=abc123`;
    const page = await openPage();
    await page.goto(landingUrl, { referer: 'https://www.google.com/' });
    await waitFor(() => sessions.fetched()[0]?.answered === true, 'the first session');
    await page.click('#next');
    await page.waitForURL('**/pricing');
    await waitFor(() => sessions.fetched()[1]?.answered === true, 'the second session');

    const [first, second] = sessions.fetched();
    expect(first?.body.visitorId).toBeUndefined();
    expect(first?.body).toMatchObject({ landingUrl, referrer: 'https://www.google.com/' });
    expect(first?.visitorId).toMatch(/^v-\d+$/);
    expect(second?.body).toMatchObject({
      visitorId: first?.visitorId,
      landingUrl,
      referrer: 'https://www.google.com/',
    });

    const cookie = (await context.cookies()).find((c) => c.name === '_ll_vid');
    expect(cookie).toMatchObject({ value: first?.visitorId, sameSite: 'Lax', path: '/' });
    const yearFromNow = Date.now() / 1000 + 365 * 24 * 3600;
    expect(Math.abs((cookie?.expires ?? 0) - yearFromNow)).toBeLessThan(120);

    // A new tab is a new visit, but still the same visitor.
    const later = await context.newPage();
    await later.goto(`${server.siteOrigin}/pricing`);
    await waitFor(() => sessions.fetched()[2]?.answered === true, 'the third session');
    expect(sessions.fetched()[2]?.body).toMatchObject({
      visitorId: first?.visitorId,
      landingUrl: `${server.siteOrigin}/pricing`,
    });
  });

  it('swaps from the cached number on the next page before a slow server answers', async () => {
    const page = await openPage();
    await page.goto(`${server.siteOrigin}/landing`);
    await settledBody(page, '628');

    sessions.sites.acme = { ...ACME, number: RELEASED_AND_REPLACED };
    const release = sessions.holdAnswers();
    await page.goto(`${server.siteOrigin}/pricing`, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(
      () => (document.getElementById('formats')?.textContent ?? '').includes('(628) 555-0199'),
      undefined,
      { timeout: 3000 },
    );
    expect(sessions.fetched()).toHaveLength(2);
    expect(sessions.fetched()[1]?.answered).toBe(false);

    // The server moved the lease: the cached number on the page is replaced everywhere.
    release();
    await settledBody(page, '555-0142');
    const text = await page.textContent('body');
    expect(text).toContain('Call (628) 555-0142 today');
    expect(text).toContain('+1 (628) 555-0142');
    expect(text).not.toMatch(/628\D{0,2}555\D?0199/);
    expect(await page.getAttribute('#tel1', 'href')).toBe(`tel:${RELEASED_AND_REPLACED.e164}`);
  });

  it('sends no visitor id and stores nothing when Do-Not-Track is on', async () => {
    const page = await openPage(async (ctx) => {
      await ctx.addInitScript(() => {
        Object.defineProperty(Navigator.prototype, 'doNotTrack', { get: () => '1' });
      });
      await ctx.addCookies([{ name: '_ll_vid', value: 'v-earlier', url: server.siteOrigin }]);
    });
    await page.goto(`${server.siteOrigin}/landing?utm_source=newsletter`);
    await settledBody(page, '628-555-0111');

    expect(sessions.fetched().map((r) => r.body)).toEqual([
      {
        siteKey: 'acme',
        landingUrl: `${server.siteOrigin}/landing?utm_source=newsletter`,
        referrer: '',
        anonymous: true,
      },
    ]);
    expect(await page.textContent('#split')).toBe('(628) 555-0111');
    expect(await page.evaluate(() => [localStorage.length, sessionStorage.length])).toEqual([0, 0]);
    const cookies = await context.cookies();
    expect(cookies.map((c) => `${c.name}=${c.value}`)).toEqual(['_ll_vid=v-earlier']);
  });

  it('stays anonymous until the site records consent, then tracks after refresh()', async () => {
    const page = await openPage();
    await page.goto(`${server.siteOrigin}/consent`);
    await settledBody(page, '628-555-0111');
    expect(sessions.fetched()[0]?.body.anonymous).toBe(true);

    await page.evaluate(() => {
      const w = window as unknown as LeadlineWindow;
      w.leadlineConsent = true;
      w.Leadline.refresh();
    });
    await waitFor(() => sessions.fetched()[1]?.answered === true, 'the consented session');
    await page.waitForFunction(
      () => document.getElementById('split')?.textContent === '(628) 555-0199',
    );
    expect(sessions.fetched()[1]?.body.anonymous).toBeUndefined();
    expect(sessions.fetched()[1]?.body.userAgent).toEqual(expect.any(String));
    const cookie = (await context.cookies()).find((c) => c.name === '_ll_vid');
    expect(cookie?.value).toBe(sessions.fetched()[1]?.visitorId);
  });

  it('renews the lease every min(holdSeconds/2, 600) s and by beacon on pagehide', async () => {
    const page = await openPage();
    await page.clock.install();
    await page.goto(`${server.siteOrigin}/landing`);
    await waitFor(() => sessions.fetched()[0]?.answered === true, 'the first session');
    const visitorId = sessions.fetched()[0]?.visitorId;

    await page.clock.fastForward(590_000);
    await sleep(300);
    expect(sessions.fetched()).toHaveLength(1);
    await page.clock.fastForward(15_000);
    await waitFor(() => sessions.fetched().length === 2, 'the renewal');
    expect(sessions.fetched()[1]?.body.visitorId).toBe(visitorId);
    expect(sessions.fetched()[1]?.contentType).toBe('application/json');

    // Beacons left over from earlier tests' pages belong to other visitors.
    const ours = () => sessions.beacons().filter((r) => r.body.visitorId === visitorId);
    expect(ours()).toEqual([]);
    await page.goto('about:blank');
    await waitFor(() => ours().length === 1, 'the pagehide beacon');
    expect(ours()[0]?.body).toMatchObject({
      siteKey: 'acme',
      landingUrl: `${server.siteOrigin}/landing`,
    });
  });

  it('swaps international targets digit for digit and writes mismatched lengths whole', async () => {
    const page = await openPage();
    await page.goto(`${server.siteOrigin}/uk`);
    await waitFor(() => sessions.fetched()[0]?.answered === true, 'the session');
    await page.waitForFunction(
      () => document.getElementById('uk1')?.textContent !== '+44 20 7946 0958',
    );
    const live = await page.evaluate(() => document.body.innerHTML);
    expect(live).toBe(await referencePage('/expected/uk'));
    expect(await page.textContent('#uk1')).toBe('+44 20 3808 5555');
    expect(await page.getAttribute('#uk-tel', 'href')).toBe(`tel:${UK_TRACKING.e164}`);
  });

  it('leaves the page untouched when the session endpoint fails', async () => {
    const page = await openPage();
    await page.goto(`${server.siteOrigin}/broken`);
    await waitFor(() => sessions.fetched()[0]?.answered === true, 'the failed session');
    const live = await settledBody(page);
    await sleep(200);
    expect(await page.evaluate(() => document.body.innerHTML)).toBe(live);
    expect(live).toBe(await referencePage('/original/landing'));
    expect(await page.evaluate(() => document.cookie)).toBe('');
  });
});
