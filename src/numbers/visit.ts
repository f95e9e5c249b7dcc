import { isbot } from 'isbot';
import { LRUCache } from 'lru-cache';

/** What Leadline learns from one page view: where the visitor came from and on what device. */
export interface VisitInfo {
  landingUrl: string;
  landingPath: string;
  landingHost: string;
  query: URLSearchParams;
  referrer: string | null;
  referrerDomain: string | null;
  source: string;
  medium: string;
  utmCampaign: string | null;
  utmTerm: string | null;
  utmContent: string | null;
  gclid: string | null;
  fbclid: string | null;
  msclkid: string | null;
  device: 'desktop' | 'mobile' | 'tablet' | 'bot' | 'unknown';
}

const SEARCH_ENGINES: [RegExp, string][] = [
  [/(^|\.)google\.[a-z.]+$/, 'google'],
  [/(^|\.)bing\.com$/, 'bing'],
  [/(^|\.)duckduckgo\.com$/, 'duckduckgo'],
  [/(^|\.)search\.yahoo\.com$|(^|\.)yahoo\.com$/, 'yahoo'],
  [/(^|\.)baidu\.com$/, 'baidu'],
  [/(^|\.)yandex\.[a-z.]+$/, 'yandex'],
  [/(^|\.)ecosia\.org$/, 'ecosia'],
];
const SOCIAL: [RegExp, string][] = [
  [/(^|\.)(facebook\.com|fb\.com|l\.facebook\.com|m\.facebook\.com)$/, 'facebook'],
  [/(^|\.)(instagram\.com)$/, 'instagram'],
  [/(^|\.)(t\.co|twitter\.com|x\.com)$/, 'twitter'],
  [/(^|\.)(linkedin\.com|lnkd\.in)$/, 'linkedin'],
  [/(^|\.)(youtube\.com)$/, 'youtube'],
];

export const bareDomain = (host: string) => host.toLowerCase().replace(/^www\./, '');

function clip(v: string | null, max = 500): string | null {
  if (v === null) return null;
  const t = v.trim();
  return t ? t.slice(0, max) : null;
}

/** Automation tools isbot's list leaves out (headless browsers it already knows). */
const AUTOMATION = /puppeteer|playwright|webdriver/i;

/** What a user agent alone says: whether it is a bot, and else which kind of device. */
interface AgentClass {
  bot: boolean;
  device: 'tablet' | 'mobile' | 'desktop';
}

/**
 * User agents repeat: most page views come from a few hundred browser builds. isbot's pattern is
 * long, so each distinct user agent is classified once and remembered (bounded).
 */
const agentClasses = new LRUCache<string, AgentClass>({ max: 5_000 });

function classOf(userAgent: string): AgentClass {
  let known = agentClasses.get(userAgent);
  if (!known) {
    const ua = userAgent.toLowerCase();
    known = {
      bot: isbot(userAgent) || AUTOMATION.test(userAgent),
      device: /ipad|tablet|kindle|silk|playbook|(android(?!.*mobile))/.test(ua)
        ? 'tablet'
        : /mobi|iphone|ipod|android|windows phone|blackberry|opera mini/.test(ua)
          ? 'mobile'
          : 'desktop',
    };
    agentClasses.set(userAgent, known);
  }
  return known;
}

/**
 * Classifies a user agent; bots (isbot's list plus headless and automation tools) are told apart
 * so they never take a pool number. A user agent containing one of `botAllowList`'s substrings
 * (a site's own monitor, say) is classified as a person's device instead.
 */
export function deviceOf(
  userAgent: string | undefined | null,
  botAllowList: readonly string[] = [],
): VisitInfo['device'] {
  if (!userAgent) return 'unknown';
  const known = classOf(userAgent);
  if (known.bot && !botAllowList.some((s) => userAgent.includes(s))) return 'bot';
  return known.device;
}

/** Parses a landing URL (must be http/https) and referrer into a visit; throws on a bad URL. */
export function parseVisit(
  landingUrl: string,
  referrer?: string | null,
  userAgent?: string | null,
  botAllowList: readonly string[] = [],
): VisitInfo {
  const url = new URL(landingUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError('landingUrl must be an http or https URL');
  }
  const q = url.searchParams;
  const get = (k: string) => clip(q.get(k));
  let refHost: string | null = null;
  let refUrl: string | null = null;
  if (referrer) {
    try {
      const r = new URL(referrer);
      if (r.protocol === 'http:' || r.protocol === 'https:') {
        refHost = bareDomain(r.hostname);
        refUrl = r.toString().slice(0, 2000);
      }
    } catch {
      // An unparsable referrer is just no referrer: it must not cost the visitor a number.
    }
  }
  // A referrer on the site itself is navigation, not a source.
  if (refHost && refHost === bareDomain(url.hostname)) {
    refHost = null;
    refUrl = null;
  }

  const gclid = get('gclid') ?? get('gbraid') ?? get('wbraid');
  const fbclid = get('fbclid');
  const msclkid = get('msclkid');
  let source = get('utm_source')?.toLowerCase() ?? null;
  let medium = get('utm_medium')?.toLowerCase() ?? null;
  if (!source) {
    if (gclid) [source, medium] = ['google', medium ?? 'cpc'];
    else if (msclkid) [source, medium] = ['bing', medium ?? 'cpc'];
    else if (fbclid) [source, medium] = ['facebook', medium ?? 'social'];
    else if (refHost) {
      const engine = SEARCH_ENGINES.find(([re]) => re.test(refHost ?? ''));
      const social = SOCIAL.find(([re]) => re.test(refHost ?? ''));
      if (engine) [source, medium] = [engine[1], medium ?? 'organic'];
      else if (social) [source, medium] = [social[1], medium ?? 'social'];
      else [source, medium] = [refHost, medium ?? 'referral'];
    } else [source, medium] = ['(direct)', medium ?? '(none)'];
  }

  return {
    landingUrl: url.toString().slice(0, 2000),
    landingPath: url.pathname.slice(0, 500),
    landingHost: bareDomain(url.hostname),
    query: q,
    referrer: refUrl,
    referrerDomain: refHost,
    source,
    medium: medium ?? '(none)',
    utmCampaign: get('utm_campaign'),
    utmTerm: get('utm_term'),
    utmContent: get('utm_content'),
    gclid,
    fbclid,
    msclkid,
    device: deviceOf(userAgent, botAllowList),
  };
}

/** True when the visit carries its own source (tags, click ids or an outside referrer). */
export function hasSourceSignal(v: VisitInfo): boolean {
  return Boolean(v.query.get('utm_source') || v.gclid || v.fbclid || v.msclkid || v.referrerDomain);
}
