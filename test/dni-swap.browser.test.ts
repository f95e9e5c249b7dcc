import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { getDniScript, getDniScriptEtag } from '../src/numbers/dni-script';
import type { TwilioStandin } from '../src/numbers/twilio-standin';
import { ManualClock } from './support/clock';
import { createTestContext, type TestContext } from './support/context';
import { buildCampaign, buildPool, buildSite } from './support/factories';
import { startTestTwilio } from './support/twilio';

// The site and Leadline are served from different origins (localhost vs 127.0.0.1) so the
// script's cross-origin fetch, CORS and first-party cookies are exercised as in production.
// Leadline is the real app over a fresh database, except where a test needs it to misbehave on
// cue (hold an answer, move a lease, fail, sell a UK number): there a scripted endpoint stands in.

interface SessionBody {
  siteKey?: string;
  visitorId?: string;
  landingUrl?: string;
  referrer?: string;
  userAgent?: string;
  anonymous?: boolean;
}

/** One POST /dni/v1/sessions as the page sent it; body and status are known once answered. */
interface SessionCall {
  contentType: string;
  body?: SessionBody;
  status?: number;
}

interface LeadlineWindow {
  leadlineConsent?: boolean;
  Leadline: { refresh(): void };
}

const TARGET = '+14155550100';
const SESSIONS_PATH = '/dni/v1/sessions';
const HOLD_SECONDS = 1800;
// Leadline takes HeadlessChrome for a bot (source number, no lease), so the browser presents
// itself as desktop Chrome. Set at launch: a per-context override does not reach pagehide beacons.
const DESKTOP_USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

/** A NANP number as fixture pages spell it: {a} area code, {x} exchange, {l} line. */
interface Phone {
  e164: string;
  national: string;
  a: string;
  x: string;
  l: string;
}

function phone(e164: string): Phone {
  const [, a, x, l] = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164) ?? [];
  if (!a || !x || !l) throw new Error(`${e164} is not a NANP number`);
  return { e164, national: `(${a}) ${x}-${l}`, a, x, l };
}

/** Fills {e164}, {a}, {x}, {l} (optionally sliced: {a:0:2}) with the parts of a number. */
function spell(text: string, number: Phone): string {
  return text.replace(
    /\{(e164|a|x|l)(?::(\d))?(?::(\d))?\}/g,
    (_all, part: 'e164' | 'a' | 'x' | 'l', from?: string, to?: string) =>
      number[part].slice(Number(from ?? 0), to === undefined ? undefined : Number(to)),
  );
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

/**
 * Records every POST /dni/v1/sessions that reaches `leadline`. The body is read from req.body
 * once answered, where express's parser (and the scripted endpoint, likewise) leaves it.
 */
function recordSessionCalls(leadline: RequestListener) {
  const calls: SessionCall[] = [];
  const handle: RequestListener = (req, res) => {
    if (req.method === 'POST' && req.url === SESSIONS_PATH) {
      const call: SessionCall = { contentType: req.headers['content-type'] ?? '' };
      calls.push(call);
      res.on('finish', () => {
        call.body = (req as IncomingMessage & { body?: SessionBody }).body;
        call.status = res.statusCode;
      });
    }
    leadline(req, res);
  };
  return {
    handle,
    /** Calls sent with fetch; beacons from pages being left or closed are excluded. */
    fetched: () => calls.filter((c) => c.contentType.startsWith('application/json')),
    beacons: () => calls.filter((c) => c.contentType.startsWith('text/plain')),
    reset: () => void (calls.length = 0),
  };
}
type SessionCalls = ReturnType<typeof recordSessionCalls>;

async function answered(calls: SessionCalls, index: number, what: string): Promise<SessionCall> {
  await waitFor(() => calls.fetched()[index]?.status !== undefined, what);
  const call = calls.fetched()[index];
  if (!call) throw new Error(`no ${what}`);
  return call;
}

interface ScriptedNumber {
  e164: string;
  national: string;
}

interface ScriptedSite {
  swapTargets: string[];
  number: ScriptedNumber;
  failWithStatus?: number;
}

const SCRIPTED: ScriptedNumber = { e164: '+16285550199', national: '(628) 555-0199' };
const RELEASED_AND_REPLACED: ScriptedNumber = { e164: '+16285550142', national: '(628) 555-0142' };
const UK_TARGET = '+442079460958';
const UK_TRACKING: ScriptedNumber = { e164: '+442038085555', national: '020 3808 5555' };

function scriptedSites(): Record<string, ScriptedSite> {
  const acme: ScriptedSite = { swapTargets: [TARGET], number: SCRIPTED };
  return {
    acme,
    'acme-broken': { ...acme, failWithStatus: 500 },
    'acme-uk': { swapTargets: [UK_TARGET, TARGET], number: UK_TRACKING },
  };
}

/** A scripted Leadline: GET /dni.js and a POST /dni/v1/sessions whose answers a test controls. */
function createScriptedLeadline() {
  let sites = scriptedSites();
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
    Object.assign(req, { body });
    if (gate) await gate;
    const site = body.siteKey ? sites[body.siteKey] : undefined;
    if (!site) {
      sendJson(res, 404, { error: { code: 'site_not_found', message: 'unknown siteKey' } });
      return;
    }
    // A failing server still answers with a session-shaped body: the script must check status.
    sendJson(res, site.failWithStatus ?? 200, {
      visitorId: body.visitorId ?? `v-${nextVisitor++}`,
      sessionId: `s-${nextVisitor}`,
      campaignId: 'c-1',
      number: site.number,
      expiresAt: new Date(Date.now() + HOLD_SECONDS * 1000).toISOString(),
      swapTargets: site.swapTargets,
      holdSeconds: HOLD_SECONDS,
    });
  }

  const handle: RequestListener = (req, res) => {
    if (req.method === 'GET' && req.url === '/dni.js') {
      res.writeHead(200, {
        'Content-Type': 'application/javascript; charset=utf-8',
        ETag: getDniScriptEtag(),
      });
      res.end(getDniScript());
      return;
    }
    respond(req, res).catch(() => sendJson(res, 400, { error: { code: 'bad_request' } }));
  };

  return {
    handle,
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
      sites = scriptedSites();
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
 * Serves the fixture site and hands GET /dni.js and /dni/v1/sessions, unchanged, to `leadline`:
 * the real app or the scripted one.
 */
async function startFixtureServer({
  leadline,
  renderPage,
}: {
  leadline: RequestListener;
  renderPage: (url: URL, leadlineOrigin: string) => string | undefined;
}): Promise<FixtureServer> {
  let leadlineOrigin = '';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    if (url.pathname === SESSIONS_PATH || url.pathname === '/dni.js') {
      leadline(req, res);
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
// shows the left side, the expected page the right side (with {a}, {x}, {l} and {e164} spelled
// from the number in its ?number= query), and everything else is shared.
type PageMode = 'live' | 'expected' | 'original';

function fill(template: string, mode: PageMode, number: Phone | undefined): string {
  return template.replace(/\[\[(.*?)\|(.*?)\]\]/g, (_all, before: string, after: string) => {
    if (mode !== 'expected') return before;
    return number ? spell(after, number) : after;
  });
}

const LATE_CONTENT_SCRIPT = `<script>
  addEventListener('load', function () {
    setTimeout(function () {
      var late = document.createElement('div');
      late.id = 'late';
      late.innerHTML = 'Just added: <span>[[415-555-0100|{a}-{x}-{l}]]</span> ' +
        '<a id="late-tel" href="[[tel:+14155550100|tel:{e164}]]">call</a>, sales (415) 555-0101';
      document.body.appendChild(late);
      document.getElementById('status').textContent = 'Lines open: [[415.555.0100|{a}.{x}.{l}]]';
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
  <li>Call [[(415) 555-0100|({a}) {x}-{l}]] today</li>
  <li>[[415-555-0100|{a}-{x}-{l}]]</li>
  <li>[[415.555.0100|{a}.{x}.{l}]]</li>
  <li>[[415 555 0100|{a} {x} {l}]]</li>
  <li>[[+1 415 555 0100|+1 {a} {x} {l}]]</li>
  <li>[[1-415-555-0100|1-{a}-{x}-{l}]]</li>
  <li>[[+1 (415) 555-0100|+1 ({a}) {x}-{l}]]</li>
  <li>[[4155550100|{a}{x}{l}]]</li>
  <li>[[+14155550100|{e164}]]</li>
  <li>[[415&nbsp;555&nbsp;0100|{a}&nbsp;{x}&nbsp;{l}]]</li>
  <li>Sales (415) 555-0101, main line [[(415) 555-0100|({a}) {x}-{l}]].</li>
</ul>
<p id="split"><span>([[415|{a}]])</span> <b>[[555|{x}]]</b>-[[0100|{l}]]</p>
<p id="split-mid"><span>([[41|{a:0:2}]]</span>[[5|{a:2}]]) [[555|{x}]]-[[01|{l:0:2}]]<i>[[00|{l:2}]]</i></p>
<p id="split-lines"><em>+1</em>
  <strong>[[415|{a}]]</strong>
  [[555|{x}]] <strong>[[0100|{l}]]</strong></p>
<p id="links">
  <a id="tel1" href="[[tel:+14155550100|tel:{e164}]]">[[(415) 555-0100|({a}) {x}-{l}]]</a>
  <a id="tel2" href="[[tel:415-555-0100|tel:{e164}]]">Call us</a>
  <a id="sms1" href="[[sms:+14155550100?body=Hi|sms:{e164}?body=Hi]]">Text us</a>
  <a id="mail" href="mailto:help@acme.test?subject=4155550100">Email</a>
  <button id="cta" data-phone="[[+14155550100|{e164}]]" aria-label="Call (415) 555-0100">Call</button>
  <a id="next" href="/pricing">Pricing</a>
</p>
<div data-leadline-ignore><p>Billing: (415) 555-0100 <a id="billing" href="tel:+14155550100">call billing</a></p></div>
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
  <li><a id="sales" href="tel:+14155550101">(415) 555-0101</a></li>
</ul>
`;

const UK_BODY = `
<p id="uk1">[[+44 20 7946 0958|+44 20 3808 5555]]</p>
<p id="uk2">[[+442079460958|+442038085555]]</p>
<p><a id="uk-tel" href="[[tel:+442079460958|tel:+442038085555]]">Call London</a></p>
<p id="us">[[(415) 555-0100|020 3808 5555]] or [[+1 415 555 0100|+442038085555]]</p>
<p id="uk-others">+44 20 7946 0959, 442079460958, 020 7946 0958</p>
`;

/** Renders a fixture page; `siteKeys` maps the fixture's site names to real site keys. */
function renderFixturePage(
  url: URL,
  leadlineOrigin: string,
  siteKeys: Record<string, string> = {},
): string | undefined {
  const [, modePart, name] = /^\/(?:(expected|original)\/)?([\w-]+)$/.exec(url.pathname) ?? [];
  const mode: PageMode = modePart === 'expected' || modePart === 'original' ? modePart : 'live';
  const shown = url.searchParams.get('number');
  const number = shown ? phone(shown) : undefined;
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
      ? `<script src="${leadlineOrigin}/dni.js" data-site="${siteKeys[page.site] ?? page.site}"` +
        ` data-leadline-attrs="data-phone"${page.attrs} async></script>`
      : '';
  return `<!doctype html><html><head><meta charset="utf-8"><title>Acme</title>${tag}
${fill(page.head, mode, number)}</head><body>${fill(page.body, mode, number)}</body></html>`;
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

async function referencePage(url: string): Promise<string> {
  const page = await context.newPage();
  await page.goto(url);
  const html = await settledBody(page);
  await page.close();
  return html;
}

async function visitorCookie() {
  return (await context.cookies()).find((c) => c.name === '_ll_vid');
}

beforeAll(async () => {
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
      `--user-agent=${DESKTOP_USER_AGENT}`,
    ],
  });
});

beforeEach(() => {
  pageErrors = [];
});

afterEach(async () => {
  await context?.close();
  expect(pageErrors).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
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

describe('dni.js in a browser, against Leadline', () => {
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
    const later = await context.newPage();
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
    const cookies = await context.cookies();
    expect(cookies.map((c) => `${c.name}=${c.value}`)).toEqual(['_ll_vid=v-earlier']);
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

describe('dni.js in a browser, against a scripted session endpoint', () => {
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
