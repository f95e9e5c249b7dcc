import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getDniScript, getDniScriptEtag } from '../../src/numbers/dni-script';

// The fixture site for dni.js in a browser: Acme's pages, the server that serves them, and the
// Leadline behind it, either the real app or a scripted endpoint a test controls. Every
// POST /dni/v1/sessions that reaches Leadline can be recorded.

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

/** The number Acme prints on its pages, and the swap target of every site. */
export const TARGET = '+14155550100';
const SESSIONS_PATH = '/dni/v1/sessions';
/** How long a lease is held, in the real campaign and in the scripted answers. */
export const HOLD_SECONDS = 1800;

/** A NANP number as fixture pages spell it: {a} area code, {x} exchange, {l} line. */
export interface Phone {
  e164: string;
  national: string;
  a: string;
  x: string;
  l: string;
}

/** Splits a NANP number in E.164 into the parts fixture pages spell. */
export function phone(e164: string): Phone {
  const [, a, x, l] = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164) ?? [];
  if (!a || !x || !l) throw new Error(`${e164} is not a NANP number`);
  return { e164, national: `(${a}) ${x}-${l}`, a, x, l };
}

/** Fills {e164}, {a}, {x}, {l} (optionally sliced: {a:0:2}) with the parts of a number. */
export function spell(text: string, number: Phone): string {
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
export function recordSessionCalls(leadline: RequestListener) {
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
export type SessionCalls = ReturnType<typeof recordSessionCalls>;

/** Waits until Leadline has answered the `index`th fetched session call, and returns it. */
export async function answered(
  calls: SessionCalls,
  index: number,
  what: string,
): Promise<SessionCall> {
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

export const SCRIPTED: ScriptedNumber = { e164: '+16285550199', national: '(628) 555-0199' };
export const RELEASED_AND_REPLACED: ScriptedNumber = {
  e164: '+16285550142',
  national: '(628) 555-0142',
};
const UK_TARGET = '+442079460958';
export const UK_TRACKING: ScriptedNumber = { e164: '+442038085555', national: '020 3808 5555' };

function scriptedSites(): Record<string, ScriptedSite> {
  const acme: ScriptedSite = { swapTargets: [TARGET], number: SCRIPTED };
  return {
    acme,
    'acme-broken': { ...acme, failWithStatus: 500 },
    'acme-uk': { swapTargets: [UK_TARGET, TARGET], number: UK_TRACKING },
  };
}

/** A scripted Leadline: GET /dni.js and a POST /dni/v1/sessions whose answers a test controls. */
export function createScriptedLeadline() {
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

export interface FixtureServer {
  siteOrigin: string;
  leadlineOrigin: string;
  close(): Promise<void>;
}

/**
 * Serves the fixture site and hands GET /dni.js and /dni/v1/sessions, unchanged, to `leadline`:
 * the real app or the scripted one.
 */
export async function startFixtureServer({
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

/** The target's digits inside longer tokens: an order number, a SKU, a longer digit run. */
export const LONGER_TOKENS =
  'Order #14155550100, SKU-4155550100X, serial 141555501009, ref_4155550100, 4155550100-B2';

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
  <li id="tokens">${LONGER_TOKENS}</li>
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
export function renderFixturePage(
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

/** Polls `check` every 20 ms; fails naming `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
