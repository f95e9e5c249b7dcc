import type { CampaignMatch } from '../../db/schema';
import { bareDomain, type VisitInfo } from './visit';

export interface MatchableCampaign {
  id: string;
  match: CampaignMatch;
}

const eq = (a: string | null | undefined, b: string) => (a ?? '').toLowerCase() === b.toLowerCase();

function landingParamMatches(param: string, q: URLSearchParams): boolean {
  const [name, value] = param.split('=', 2);
  if (!name) return false;
  if (value === undefined) return q.has(name);
  return q.getAll(name).some((v) => v.toLowerCase() === value.toLowerCase());
}

function utmMatches(m: CampaignMatch, v: VisitInfo): boolean {
  const checks: [string | undefined, string | null][] = [
    [m.utmSource, v.query.get('utm_source')],
    [m.utmMedium, v.query.get('utm_medium')],
    [m.utmCampaign, v.utmCampaign],
  ];
  const given = checks.filter(([want]) => want !== undefined);
  return given.length > 0 && given.every(([want, got]) => eq(got, want ?? ''));
}

const utmSpecificity = (m: CampaignMatch) =>
  [m.utmSource, m.utmMedium, m.utmCampaign].filter((x) => x !== undefined).length;

function referrerMatches(domain: string, v: VisitInfo): boolean {
  if (!v.referrerDomain) return false;
  const d = bareDomain(domain);
  return v.referrerDomain === d || v.referrerDomain.endsWith(`.${d}`);
}

/**
 * Picks the campaign for a visit. Precedence: a landing-URL parameter, then UTM tags (the match
 * naming more tags wins), then the referrer's domain, then the site's default (empty match).
 */
export function matchCampaign<C extends MatchableCampaign>(
  campaigns: C[],
  v: VisitInfo,
): C | undefined {
  const byLanding = campaigns.find(
    (c) => c.match.landingParam && landingParamMatches(c.match.landingParam, v.query),
  );
  if (byLanding) return byLanding;
  const byUtm = campaigns
    .filter((c) => !c.match.landingParam && utmMatches(c.match, v))
    .sort((a, b) => utmSpecificity(b.match) - utmSpecificity(a.match))[0];
  if (byUtm) return byUtm;
  const byReferrer = campaigns.find(
    (c) =>
      c.match.referrerDomain &&
      utmSpecificity(c.match) === 0 &&
      referrerMatches(c.match.referrerDomain, v),
  );
  if (byReferrer) return byReferrer;
  return campaigns.find((c) => Object.values(c.match).every((x) => x === undefined));
}
