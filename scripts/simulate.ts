// Replays realistic traffic against a RUNNING Leadline and measures attribution:
//   npm run simulate -- --visitors 200 --calls 50 [--base http://localhost:3000]
//     [--public-base-url URL] [--admin-key KEY] [--auth-token TOKEN] [--account-sid AC…]
//     [--duplicates 1] [--reorder] [--seed N] [--max-pool 300]
// Only the public contract is used (DESIGN.md): the admin API sets up a site, a default campaign
// and a pool; visitors ask /dni/v1/sessions for a number; some of them call it through the carrier
// simulator; then GET /api/v1/calls/:sid says whom each call was attributed to. Exits 1 when a
// call is attributed "exact" to someone other than the visitor who placed it, or is lost.
import { parseArgs } from 'node:util';
import {
  createCarrierSimulator,
  mulberry32,
  type CallOutcome,
} from '../src/calls/carrier-simulator';
import { DEMO_TWILIO_ACCOUNT_SID, loadConfig } from '../src/shared/config';

export const SITE_NAME = 'Simulated traffic';
export const SITE_ORIGIN = 'https://sim.leadline.test';
const SWAP_TARGET = '+14155550100';
const FALLBACK_NUMBER = '+14155550199';
/** The numbers API provisions at most this many numbers per request. */
const MAX_PROVISION_BATCH = 50;

export interface SimulateOptions {
  visitors: number;
  calls: number;
  base: string;
  publicBaseUrl: string;
  adminKey: string;
  authToken: string;
  accountSid: string;
  duplicates: number;
  reorder: boolean;
  seed: number;
  maxPool: number;
}

/** Reads the command line; defaults come from Leadline's own configuration (environment). */
export function parseSimulateArgs(
  argv: string[],
  defaults: Pick<SimulateOptions, 'base' | 'publicBaseUrl' | 'authToken' | 'accountSid'> & {
    adminKey?: string;
  },
  randomSeed: () => number = () => Math.floor(Math.random() * 2 ** 31),
): SimulateOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      visitors: { type: 'string', default: '200' },
      calls: { type: 'string', default: '50' },
      base: { type: 'string' },
      'public-base-url': { type: 'string' },
      'admin-key': { type: 'string' },
      'auth-token': { type: 'string' },
      'account-sid': { type: 'string' },
      duplicates: { type: 'string', default: '0' },
      reorder: { type: 'boolean', default: false },
      seed: { type: 'string' },
      'max-pool': { type: 'string', default: '300' },
    },
  });
  const count = (name: string, value: string | undefined, min: number): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) {
      throw new Error(`--${name} must be a whole number of at least ${min}, not "${value}"`);
    }
    return n;
  };
  const visitors = count('visitors', values.visitors, 1);
  const calls = count('calls', values.calls, 0);
  if (calls > visitors)
    throw new Error(`--calls (${calls}) cannot exceed --visitors (${visitors})`);
  const adminKey = values['admin-key'] ?? defaults.adminKey;
  if (!adminKey) throw new Error('an admin API key is needed: --admin-key or LEADLINE_ADMIN_KEY');
  const base = (values.base ?? defaults.base).replace(/\/+$/, '');
  return {
    visitors,
    calls,
    base,
    // Without PUBLIC_BASE_URL Leadline checks signatures against the address it is reached at.
    publicBaseUrl: (values['public-base-url'] ?? defaults.publicBaseUrl).replace(/\/+$/, ''),
    adminKey,
    authToken: values['auth-token'] ?? defaults.authToken,
    accountSid: values['account-sid'] ?? defaults.accountSid,
    duplicates: count('duplicates', values.duplicates, 0),
    reorder: values.reorder ?? false,
    seed: values.seed === undefined ? randomSeed() : count('seed', values.seed, 0),
    maxPool: count('max-pool', values['max-pool'], 1),
  };
}

// --- traffic ------------------------------------------------------------------------------------

/** Where a visitor came from, as the landing URL and referrer show it. */
export interface Visit {
  source: string;
  landingUrl: string;
  referrer?: string;
  userAgent: string;
  /** The visitor's address, sent as X-Forwarded-For: one IP per visitor, as on the web. */
  ip: string;
}

type Rng = () => number;
const pick = <T>(rng: Rng, items: readonly T[]): T => {
  const item = items[Math.floor(rng() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
};
const token = (rng: Rng, length: number) =>
  Array.from({ length }, () =>
    pick(rng, [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789']),
  ).join('');
const between = (rng: Rng, min: number, max: number) => min + Math.floor(rng() * (max - min + 1));

const PAGES = [
  '/',
  '/services/drain-cleaning',
  '/services/water-heaters',
  '/emergency',
  '/pricing',
];
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0',
];

/** Traffic sources with their share of visits and how each marks the landing URL. */
const SOURCES: {
  name: string;
  weight: number;
  visit(rng: Rng): { query: string; referrer?: string };
}[] = [
  {
    name: 'google ads',
    weight: 30,
    visit: (rng) => ({
      query: `utm_source=google&utm_medium=cpc&utm_campaign=${pick(rng, ['spring_sale', 'emergency_plumber'])}&utm_term=${pick(rng, ['plumber+near+me', 'drain+cleaning', 'water+heater+repair'])}&gclid=${token(rng, 24)}`,
      referrer: 'https://www.google.com/',
    }),
  },
  {
    name: 'google organic',
    weight: 20,
    visit: () => ({ query: '', referrer: 'https://www.google.com/' }),
  },
  {
    name: 'facebook',
    weight: 15,
    visit: (rng) => ({
      query: `utm_source=facebook&utm_medium=paid_social&utm_campaign=summer_promo&fbclid=${token(rng, 32)}`,
      referrer: 'https://l.facebook.com/',
    }),
  },
  {
    name: 'bing ads',
    weight: 10,
    visit: (rng) => ({
      query: `utm_source=bing&utm_medium=cpc&utm_campaign=spring_sale&msclkid=${token(rng, 32).toLowerCase()}`,
      referrer: 'https://www.bing.com/',
    }),
  },
  {
    name: 'newsletter',
    weight: 10,
    visit: () => ({ query: 'utm_source=newsletter&utm_medium=email&utm_campaign=june_news' }),
  },
  {
    name: 'yelp',
    weight: 5,
    visit: () => ({ query: '', referrer: 'https://www.yelp.com/biz/sim-plumbing-san-francisco' }),
  },
  { name: 'direct', weight: 10, visit: () => ({ query: '' }) },
];

/** `count` visits with sources, pages and devices in realistic proportions. */
export function buildVisits(count: number, rng: Rng): Visit[] {
  const total = SOURCES.reduce((sum, s) => sum + s.weight, 0);
  return Array.from({ length: count }, () => {
    let roll = rng() * total;
    const source = SOURCES.find((s) => (roll -= s.weight) < 0) ?? SOURCES[SOURCES.length - 1];
    if (!source) throw new Error('no traffic sources');
    const { query, referrer } = source.visit(rng);
    const landingUrl = `${SITE_ORIGIN}${pick(rng, PAGES)}${query ? `?${query}` : ''}`;
    return {
      source: source.name,
      landingUrl,
      ...(referrer === undefined ? {} : { referrer }),
      userAgent: pick(rng, USER_AGENTS),
      ip: `${between(rng, 11, 99)}.${between(rng, 0, 255)}.${between(rng, 0, 255)}.${between(rng, 1, 254)}`,
    };
  });
}

// Callers from all over the US, so routing and the screen-pop see a spread of places.
const CALLER_ZIPS = (
  '10001 02108 19103 20001 30303 33130 60601 75201 77002 80202 85004 90012 94103 ' +
  '98101 97204 55401 63101 48226 37203 28202 70112 84101 89101 92101 96813'
).split(' ');
const CALLER_AREA_CODES =
  '212 617 215 202 404 305 312 214 713 303 602 213 415 206 503 612 314 313 615 704'.split(' ');

/** How callers' calls end, in rough proportion to a small business's phone line. */
const OUTCOMES: [CallOutcome, number][] = [
  ['answered', 55],
  ['no-answer', 12],
  ['voicemail', 13],
  ['busy', 8],
  ['canceled', 8],
  ['failed', 4],
];

export interface PlannedCaller {
  /** Index into the visits. */
  visit: number;
  from: string;
  fromZip: string;
  outcome: CallOutcome;
  ringSeconds: number;
  talkSeconds: number;
}

/** Picks `calls` distinct visitors to phone in, each from a distinct (fictional 555-01xx) number. */
export function planCallers(visits: number, calls: number, rng: Rng): PlannedCaller[] {
  const order = Array.from({ length: visits }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j] ?? i, order[i] ?? j];
  }
  const totalWeight = OUTCOMES.reduce((sum, [, w]) => sum + w, 0);
  return order.slice(0, calls).map((visit, i) => {
    let roll = rng() * totalWeight;
    const outcome = OUTCOMES.find(([, w]) => (roll -= w) < 0)?.[0] ?? 'answered';
    const area = CALLER_AREA_CODES[i % CALLER_AREA_CODES.length] ?? '415';
    const line = String(100 + (Math.floor(i / CALLER_AREA_CODES.length) % 100)).padStart(4, '0');
    return {
      visit,
      from: `+1${area}555${line}`,
      fromZip: pick(rng, CALLER_ZIPS),
      outcome,
      ringSeconds: between(rng, 2, 12),
      talkSeconds: between(rng, 20, 400),
    };
  });
}

// --- pool sizing ----------------------------------------------------------------------------------

/**
 * How many numbers the pool needs for this run: every visitor of the run holds a lease at the same
 * time (the run is far shorter than the hold window), on top of the leases already out, with the
 * pool endpoint's own 20% headroom; never below what Leadline recommends, nor below 10.
 */
export function poolTarget(
  pool: { size: number; leasedNow: number; recommendedSize: number },
  visitors: number,
  maxPool: number,
): { target: number; toBuy: number[] } {
  const forRun = Math.ceil((pool.leasedNow + visitors) * 1.2) + 1;
  const target = Math.min(maxPool, Math.max(10, pool.recommendedSize, forRun));
  const batches: number[] = [];
  for (let missing = target - pool.size; missing > 0; missing -= MAX_PROVISION_BATCH) {
    batches.push(Math.min(missing, MAX_PROVISION_BATCH));
  }
  return { target, toBuy: batches };
}

// --- scoring --------------------------------------------------------------------------------------

export type Verdict = 'tied' | 'ambiguous' | 'expired' | 'unattributed' | 'wrong' | 'lost';

/** Judges Leadline's attribution of a call against the visitor who really placed it. */
export function judgeAttribution(
  placedBy: { visitorId: string; sessionId: string },
  call: { attribution?: string; visitorId?: string | null; sessionId?: string | null } | null,
): Verdict {
  if (!call) return 'lost';
  const same =
    (call.visitorId ?? null) === placedBy.visitorId ||
    (call.sessionId ?? null) === placedBy.sessionId;
  switch (call.attribution) {
    case 'exact':
      return same ? 'tied' : 'wrong';
    case 'expired':
      return same ? 'tied' : 'expired';
    case 'ambiguous':
      return 'ambiguous';
    default:
      return 'unattributed';
  }
}

/** The one-line verdict and the exit code: 1 when any call was silently wrong or lost. */
export function summarize(verdicts: Verdict[]): { line: string; exitCode: number } {
  const n = (v: Verdict) => verdicts.filter((x) => x === v).length;
  const total = verdicts.length;
  const pct = total ? ((100 * n('tied')) / total).toFixed(1) : '100.0';
  const extras = (
    [
      ['expired', 'expired (flagged)'],
      ['unattributed', 'unattributed'],
      ['lost', 'lost (no call record)'],
    ] as const
  )
    .filter(([v]) => n(v) > 0)
    .map(([v, label]) => `, ${n(v)} ${label}`)
    .join('');
  const line =
    `attribution: ${n('tied')}/${total} calls tied to the visitor who placed them (${pct}%), ` +
    `${n('ambiguous')} ambiguous (flagged), ${n('wrong')} wrong${extras}`;
  return { line, exitCode: n('wrong') > 0 || n('lost') > 0 ? 1 : 0 };
}

/** Fixed-width columns, for a terminal. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

// --- driving Leadline -------------------------------------------------------------------------

interface Json {
  [key: string]: unknown;
}

/** Talks to Leadline's HTTP API; an error answer becomes an Error with Leadline's message. */
export function leadlineClient(base: string, adminKey: string, fetchImpl: typeof fetch = fetch) {
  async function call<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    allowNotFound = false,
  ): Promise<{ status: number; body: T }> {
    for (let attempt = 1; ; attempt++) {
      const res = await fetchImpl(`${base}${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      if (res.status === 429 && attempt < 4) {
        // Rate-limited per IP: Leadline does not trust X-Forwarded-For from here; wait it out.
        const wait = Number(res.headers.get('retry-after') ?? '5');
        await new Promise((r) => setTimeout(r, Math.min(60, Math.max(1, wait)) * 1000));
        continue;
      }
      const parsed = parseJson(text) as T;
      if (res.status >= 400 && !(res.status === 404 && allowNotFound)) {
        const error = (parsed as { error?: { message?: string } } | undefined)?.error;
        throw new Error(`${method} ${path}: ${res.status} ${error?.message ?? text}`);
      }
      return { status: res.status, body: parsed };
    }
  }
  const admin = { Authorization: `Bearer ${adminKey}` };
  return {
    api: <T = Json>(method: string, path: string, body?: unknown) =>
      call<T>(method, `/api/v1${path}`, body, admin),
    /** A GET that may find nothing: status 404 comes back instead of throwing. */
    find: <T = Json>(path: string) => call<T>('GET', `/api/v1${path}`, undefined, admin, true),
    startSession: (visit: Visit, siteKey: string) =>
      call<{
        visitorId: string;
        sessionId: string;
        number: { e164: string } | null;
        expiresAt: string;
      }>(
        'POST',
        '/dni/v1/sessions',
        {
          siteKey,
          landingUrl: visit.landingUrl,
          ...(visit.referrer === undefined ? {} : { referrer: visit.referrer }),
          userAgent: visit.userAgent,
        },
        { Origin: SITE_ORIGIN, 'X-Forwarded-For': visit.ip, 'User-Agent': visit.userAgent },
      ),
  };
}
type LeadlineClient = ReturnType<typeof leadlineClient>;

/** Leadline answers JSON; anything else (a proxy's HTML page) is kept out of the way. */
function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

interface Site {
  id: string;
  name: string;
  siteKey: string;
  allowedOrigins: string[];
  swapTargets: string[];
}
interface Campaign {
  id: string;
  match: Record<string, unknown>;
}

/** The "Simulated traffic" site and its default campaign, created on the first run. */
async function ensureSiteAndCampaign(
  client: LeadlineClient,
): Promise<{ site: Site; campaign: Campaign }> {
  const sites = (await client.api<{ sites: Site[] }>('GET', '/sites')).body.sites;
  let site = sites.find((s) => s.name === SITE_NAME);
  if (!site) {
    site = (
      await client.api<Site>('POST', '/sites', {
        name: SITE_NAME,
        allowedOrigins: [SITE_ORIGIN],
        swapTargets: [SWAP_TARGET],
      })
    ).body;
  } else if (!site.allowedOrigins.includes(SITE_ORIGIN)) {
    site = (
      await client.api<Site>('PATCH', `/sites/${site.id}`, {
        allowedOrigins: [...site.allowedOrigins, SITE_ORIGIN],
      })
    ).body;
  }
  const campaigns = (
    await client.api<{ campaigns: Campaign[] }>('GET', `/campaigns?siteId=${site.id}`)
  ).body.campaigns;
  const campaign =
    campaigns.find((c) => Object.keys(c.match ?? {}).length === 0) ??
    (
      await client.api<Campaign>('POST', '/campaigns', {
        name: `${SITE_NAME} (default)`,
        siteId: site.id,
        match: {},
        fallbackNumber: FALLBACK_NUMBER,
      })
    ).body;
  return { site, campaign };
}

export interface CallResult {
  callSid: string;
  outcome: CallOutcome;
  source: string;
  number: string;
  attribution: string;
  verdict: Verdict;
  stateMatches: boolean;
}

/** The whole run; returns each call's result and the summary, printing progress through `log`. */
export async function runSimulation(
  opts: SimulateOptions,
  deps: { fetch?: typeof fetch; log?: (line: string) => void } = {},
): Promise<{ results: CallResult[]; line: string; exitCode: number }> {
  const log = deps.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const rng = mulberry32(opts.seed);
  const client = leadlineClient(opts.base, opts.adminKey, deps.fetch);
  log(
    `simulate: ${opts.visitors} visitors, ${opts.calls} calls against ${opts.base} (seed ${opts.seed})`,
  );

  const { site, campaign } = await ensureSiteAndCampaign(client);
  const pool = (
    await client.api<{ size: number; leasedNow: number; recommendedSize: number }>(
      'GET',
      `/campaigns/${campaign.id}/pool`,
    )
  ).body;
  const { target, toBuy } = poolTarget(pool, opts.visitors, opts.maxPool);
  if (toBuy.length) log(`pool: ${pool.size} numbers, provisioning ${target - pool.size} more`);
  for (const count of toBuy)
    await client.api('POST', `/campaigns/${campaign.id}/numbers`, { count });

  const visits = buildVisits(opts.visitors, rng);
  const sessions = [];
  for (const visit of visits) {
    const res = await client.startSession(visit, site.siteKey);
    if (res.status !== 200) throw new Error(`POST /dni/v1/sessions: ${res.status}`);
    sessions.push(res.body);
  }
  log(`visitors: ${sessions.length} sessions started`);

  const carrier = createCarrierSimulator({
    publicBaseUrl: opts.publicBaseUrl,
    targetBaseUrl: opts.base,
    authToken: opts.authToken,
    accountSid: opts.accountSid,
    rng,
  });
  const placed = [];
  let skipped = 0;
  for (const caller of planCallers(visits.length, opts.calls, rng)) {
    const session = sessions[caller.visit];
    const visit = visits[caller.visit];
    // Shown no tracking number, or the lease is gone: not a call this run can judge.
    if (!session?.number || !visit || new Date(session.expiresAt).getTime() <= Date.now()) {
      skipped++;
      continue;
    }
    const call = await carrier.placeCall({
      from: caller.from,
      to: session.number.e164,
      outcome: caller.outcome,
      fromZip: caller.fromZip,
      ringSeconds: caller.ringSeconds,
      talkSeconds: caller.talkSeconds,
      duplicates: opts.duplicates,
      reorder: opts.reorder,
    });
    const refused = call.deliveries.filter((d) => d.status >= 300);
    if (refused[0]) {
      throw new Error(
        `Leadline answered ${refused[0].status} to ${refused[0].path} (is --public-base-url / --auth-token what Leadline uses?)`,
      );
    }
    placed.push({ caller, session, visit, call });
  }

  if (skipped) log(`calls: ${skipped} visitors had no live tracking number to call; skipped`);

  const results: CallResult[] = [];
  for (const p of placed) {
    const res = await client.find<{
      attribution?: string;
      visitorId?: string | null;
      sessionId?: string | null;
      status?: string;
      durationSeconds?: number | null;
    }>(`/calls/${p.call.callSid}`);
    const record = res.status === 200 ? res.body : null;
    results.push({
      callSid: p.call.callSid,
      outcome: p.caller.outcome,
      source: p.visit.source,
      number: p.session.number?.e164 ?? '',
      attribution: record?.attribution ?? '-',
      verdict: judgeAttribution(p.session, record),
      stateMatches:
        record?.status === p.call.expected.status &&
        record.durationSeconds === p.call.expected.durationSeconds,
    });
  }

  log(
    formatTable(
      ['#', 'call', 'outcome', 'source', 'number', 'attribution', 'result'],
      results.map((r, i) => [
        String(i + 1),
        `${r.callSid.slice(0, 10)}…`,
        r.outcome,
        r.source,
        r.number,
        r.attribution,
        r.verdict === 'tied' ? 'ok' : r.verdict.toUpperCase(),
      ]),
    ),
  );
  const drifted = results.filter((r) => r.verdict !== 'lost' && !r.stateMatches).length;
  if (drifted) log(`state: ${drifted} calls end with a status or duration Twilio did not report`);
  const summary = summarize(results.map((r) => r.verdict));
  log(summary.line);
  return { results, ...summary };
}

async function main() {
  const config = loadConfig();
  const opts = parseSimulateArgs(process.argv.slice(2), {
    base: `http://localhost:${config.PORT}`,
    publicBaseUrl: config.publicBaseUrl,
    authToken: config.twilioAuthToken,
    accountSid: config.TWILIO_ACCOUNT_SID ?? DEMO_TWILIO_ACCOUNT_SID,
    ...(config.LEADLINE_ADMIN_KEY ? { adminKey: config.LEADLINE_ADMIN_KEY } : {}),
  });
  const { exitCode } = await runSimulation(opts);
  process.exitCode = exitCode;
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`simulate: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
