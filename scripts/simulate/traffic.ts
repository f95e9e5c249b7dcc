// The traffic a run replays: visits from realistic sources, and which of those visitors phone in.
import type { CallOutcome } from '../../src/demo/carrier/simulator';

/** The origin of the simulated site: every landing URL is on it, and Leadline must allow it. */
export const SITE_ORIGIN = 'https://sim.leadline.test';

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
