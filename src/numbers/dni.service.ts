import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { IpPlace } from '../geo/ip-location';
import type { Clock } from '../shared/clock';
import { ForbiddenError, NotFoundError, ValidationError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import type { CampaignService } from '../campaigns/campaigns.service';
import type { CampaignRow, SiteRow } from '../campaigns/campaigns.repo';
import { matchCampaign } from './matching';
import type { NumbersRepo } from './numbers.repo';
import type { SessionRequest } from './numbers.schemas';
import { numberView } from './phone';
import { createRenewalBuffer, DEFAULT_RENEWAL_OPTIONS, type RenewalOptions } from './renewals';
import { hasSourceSignal, parseVisit, type VisitInfo } from './visit';

export interface DniDeps {
  repo: NumbersRepo;
  campaigns: CampaignService;
  clock: Clock;
  log: Logger;
  /** Renewals answered from memory and written in batches (defaults: DEFAULT_RENEWAL_OPTIONS). */
  renewals?: Partial<RenewalOptions>;
  /** Where an IP address is, coarse enough to keep with a visit (~10 km); null when unknown. */
  locateIp?: (ip: string) => Promise<IpPlace | null>;
}

export interface SessionAnswer {
  visitorId: string | null;
  sessionId: string | null;
  campaignId: string;
  number: { e164: string; national: string } | null;
  expiresAt: string | null;
  shared: boolean;
  holdSeconds: number;
  swapTargets: string[];
}

const SITE_CACHE_MS = 5_000;
const newVisitorId = () => `v_${randomBytes(12).toString('base64url')}`;

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * Dynamic number insertion: matches a visit to a campaign and leases it a tracking number for the
 * campaign's hold window, renewing the same lease while the visitor stays.
 */
export function createDniService(deps: DniDeps) {
  const { repo, campaigns, clock, log } = deps;
  const renewals = createRenewalBuffer({
    repo,
    clock,
    log,
    options: { ...DEFAULT_RENEWAL_OPTIONS, ...deps.renewals },
  });
  // Bounded; unknown keys are cached too (site: undefined), expiring on the injected clock.
  const siteCache = new LRUCache<string, { site: SiteRow | undefined }>({
    max: 10_000,
    ttl: SITE_CACHE_MS,
    ttlResolution: 0,
    perf: { now: () => clock.now().getTime() },
  });

  async function siteByKey(siteKey: string): Promise<SiteRow> {
    let hit = siteCache.get(siteKey);
    if (!hit) {
      hit = { site: await campaigns.findSiteByKey(siteKey) };
      siteCache.set(siteKey, hit);
    }
    if (!hit.site) throw new NotFoundError('site key', 'site_not_found');
    return hit.site;
  }

  function isAllowed(site: SiteRow, origin: string | undefined): boolean {
    return origin !== undefined && site.allowedOrigins.some((o) => o.toLowerCase() === origin);
  }

  async function anonymous(site: SiteRow, campaign: CampaignRow): Promise<SessionAnswer> {
    const source = await repo.sourceNumber(campaign.id);
    return {
      visitorId: null,
      sessionId: null,
      campaignId: campaign.id,
      number: source ? numberView(source) : null,
      expiresAt: null,
      shared: true,
      holdSeconds: campaign.holdSeconds,
      swapTargets: site.swapTargets,
    };
  }

  return {
    /** POST /dni/v1/sessions: returns the number to show and how long it is held. */
    async startSession(
      input: SessionRequest,
      origin: string | undefined,
      /** The visitor's address (as the proxy setting reads it): located, never stored. */
      ip?: string,
    ): Promise<{ body: SessionAnswer; site: SiteRow }> {
      const site = await siteByKey(input.siteKey);
      if (origin && !site.allowedOrigins.includes(origin)) {
        throw new ForbiddenError(
          `origin ${origin} is not allowed for this site`,
          'origin_not_allowed',
        );
      }
      let visit: VisitInfo;
      try {
        visit = parseVisit(input.landingUrl, input.referrer, input.userAgent, site.botAllowList);
      } catch {
        throw new ValidationError('invalid body: landingUrl: must be an absolute http(s) URL', [
          { field: 'landingUrl', message: 'must be an absolute http(s) URL' },
        ]);
      }
      const siteCampaigns = await campaigns.campaignsForSite(site.id);
      const campaign = matchCampaign(siteCampaigns, visit);
      if (!campaign) {
        throw new NotFoundError(
          'campaign for this visit (the site has no default campaign)',
          'no_matching_campaign',
        );
      }
      // No visitor id (Do-Not-Track, no consent), bots, and requests that no page of the site
      // made (no Origin, or a landing page elsewhere): the campaign's source number, no lease, so
      // a script cannot drain the pool.
      const fromSite = origin !== undefined && isAllowed(site, originOf(visit.landingUrl));
      if (input.anonymous || visit.device === 'bot' || !fromSite)
        return { body: await anonymous(site, campaign), site };

      const newVisit = hasSourceSignal(visit);
      if (input.visitorId) {
        const renewed = renewals.renew(site.id, input.visitorId, campaign.id, newVisit);
        if (renewed) {
          const { lease, expiresAt } = renewed;
          return {
            body: {
              visitorId: lease.visitorId,
              sessionId: lease.sessionId,
              campaignId: lease.campaignId,
              number: numberView({ e164: lease.e164 }),
              expiresAt: expiresAt.toISOString(),
              shared: lease.shared,
              holdSeconds: lease.holdSeconds,
              swapTargets: site.swapTargets,
            },
            site,
          };
        }
      }

      const place = ip && deps.locateIp ? await deps.locateIp(ip).catch(() => null) : null;
      const touched = await repo.touchSession({
        siteId: site.id,
        campaignId: campaign.id,
        visitorId: input.visitorId ?? null,
        newVisitorId: newVisitorId(),
        newVisit,
        maxHoldSeconds: Math.max(...siteCampaigns.map((c) => c.holdSeconds)),
        now: clock.now(),
        visit: {
          landingUrl: visit.landingUrl,
          landingPath: visit.landingPath,
          referrer: visit.referrer,
          referrerDomain: visit.referrerDomain,
          source: visit.source,
          medium: visit.medium,
          utmCampaign: visit.utmCampaign,
          utmTerm: visit.utmTerm,
          utmContent: visit.utmContent,
          gclid: visit.gclid,
          fbclid: visit.fbclid,
          msclkid: visit.msclkid,
          device: visit.device,
          userAgent: input.userAgent?.slice(0, 500) ?? null,
          ipCity: place?.city ?? null,
          ipRegion: place?.region ?? null,
          ipCountry: place?.country ?? null,
          ipLat: place?.lat ?? null,
          ipLon: place?.lon ?? null,
        },
      });
      if (touched.exhausted) log.warn({ campaignId: touched.campaignId }, 'number pool exhausted');
      renewals.remember(site.id, touched);
      return {
        body: {
          visitorId: touched.visitorId,
          sessionId: touched.sessionId,
          campaignId: touched.campaignId,
          number: touched.e164 ? numberView({ e164: touched.e164 }) : null,
          expiresAt: touched.expiresAt.toISOString(),
          shared: touched.shared,
          holdSeconds: touched.holdSeconds,
          swapTargets: site.swapTargets,
        },
        site,
      };
    },

    /** Writes the renewals answered from memory so far (one statement). */
    flushRenewals: () => renewals.flush(),

    /** Renewals answered from memory and not written yet. */
    unflushedRenewals: () => renewals.unflushed(),

    /** Stops the renewal flush timer after writing what is pending (`flush: false`: drop it). */
    stop: (opts?: { flush?: boolean }) => renewals.stop(opts),
  };
}
export type DniService = ReturnType<typeof createDniService>;
