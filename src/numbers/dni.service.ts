import { randomBytes } from 'node:crypto';
import type { Clock } from '../shared/clock';
import { ForbiddenError, NotFoundError, ValidationError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import type { CampaignService } from '../campaigns/campaigns.service';
import type { CampaignRow, SiteRow } from '../campaigns/campaigns.repo';
import { matchCampaign } from './matching';
import type { LeasedNumber, NumbersRepo, SessionRow } from './numbers.repo';
import type { SessionRequest } from './numbers.schemas';
import { numberView } from './phone';
import { hasSourceSignal, parseVisit, type VisitInfo } from './visit';

export interface DniDeps {
  repo: NumbersRepo;
  campaigns: CampaignService;
  clock: Clock;
  log: Logger;
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

/**
 * Dynamic number insertion: matches a visit to a campaign and leases it a tracking number for the
 * campaign's hold window, renewing the same lease while the visitor stays.
 */
export function createDniService(deps: DniDeps) {
  const { repo, campaigns, clock, log } = deps;
  const siteCache = new Map<string, { site: SiteRow | undefined; at: number }>();

  async function siteByKey(siteKey: string): Promise<SiteRow> {
    const hit = siteCache.get(siteKey);
    let site = hit && Date.now() - hit.at < SITE_CACHE_MS ? hit.site : undefined;
    if (!hit || Date.now() - hit.at >= SITE_CACHE_MS) {
      site = await campaigns.findSiteByKey(siteKey);
      if (siteCache.size > 10_000) siteCache.clear();
      siteCache.set(siteKey, { site, at: Date.now() });
    }
    if (!site) throw new NotFoundError('site key', 'site_not_found');
    return site;
  }

  function answer(
    site: SiteRow,
    campaign: CampaignRow,
    session: { id: string; visitorId: string | null } | null,
    number: LeasedNumber | undefined,
    expiresAt: Date | null,
    shared: boolean,
  ): SessionAnswer {
    return {
      visitorId: session?.visitorId ?? null,
      sessionId: session?.id ?? null,
      campaignId: campaign.id,
      number: number ? numberView(number) : null,
      expiresAt: expiresAt?.toISOString() ?? null,
      shared,
      holdSeconds: campaign.holdSeconds,
      swapTargets: site.swapTargets,
    };
  }

  /** A lease for a session that has none (new, or its lease lapsed and the number moved on). */
  async function leaseFor(
    campaign: CampaignRow,
    session: SessionRow,
    now: Date,
    expiresAt: Date,
  ): Promise<{ number: LeasedNumber | undefined; shared: boolean }> {
    const args = { campaignId: campaign.id, sessionId: session.id, now, expiresAt };
    const leased = await repo.leaseIdleNumber(args);
    if (leased) {
      await repo.touchSession(session.id, { numberId: leased.id, shared: false, lastSeenAt: now });
      return { number: leased, shared: false };
    }
    const { size } = await repo.poolCounts(campaign.id, now);
    if (size > 0) await repo.recordExhaustion(campaign.id, session.id, size, now);
    log.warn({ campaignId: campaign.id, poolSize: size }, 'number pool exhausted');
    if (campaign.overflow === 'share_lru' && size > 0) {
      const sharedNumber = await repo.shareLeastRecentNumber(args);
      if (sharedNumber) {
        await repo.touchSession(session.id, {
          numberId: sharedNumber.id,
          shared: true,
          lastSeenAt: now,
        });
        return { number: sharedNumber, shared: true };
      }
    }
    // No pool (or overflow to the source number): the visit is recorded but not individually tracked.
    await repo.touchSession(session.id, { lastSeenAt: now });
    return { number: await repo.sourceNumber(campaign.id), shared: true };
  }

  async function renew(
    campaign: CampaignRow,
    session: SessionRow,
    now: Date,
    expiresAt: Date,
  ): Promise<{ number: LeasedNumber | undefined; shared: boolean }> {
    if (session.numberId && session.shared) {
      if (await repo.renewSharedLease(session.id, session.numberId, now, expiresAt)) {
        await repo.touchSession(session.id, { lastSeenAt: now });
        const n = await repo.findNumber(session.numberId);
        if (n) return { number: n, shared: true };
      }
    } else if (session.numberId) {
      const renewed = await repo.renewLease({
        numberId: session.numberId,
        sessionId: session.id,
        now,
        expiresAt,
      });
      if (renewed) {
        await repo.touchSession(session.id, { lastSeenAt: now });
        return { number: renewed, shared: false };
      }
    }
    return leaseFor(campaign, session, now, expiresAt);
  }

  return {
    /** POST /dni/v1/sessions: returns the number to show and how long it is held. */
    async startSession(
      input: SessionRequest,
      origin: string | undefined,
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
        visit = parseVisit(input.landingUrl, input.referrer, input.userAgent);
      } catch {
        throw new ValidationError('invalid body: landingUrl: must be an absolute http(s) URL', [
          { field: 'landingUrl', message: 'must be an absolute http(s) URL' },
        ]);
      }
      const siteCampaigns = await campaigns.campaignsForSite(site.id);
      const campaign = matchCampaign(siteCampaigns, visit);
      if (!campaign)
        throw new NotFoundError(
          'campaign for this visit (the site has no default campaign)',
          'no_matching_campaign',
        );

      // No visitor id (Do-Not-Track, no consent) and bots: the campaign's source number, no lease.
      if (input.anonymous || visit.device === 'bot') {
        return {
          body: answer(site, campaign, null, await repo.sourceNumber(campaign.id), null, true),
          site,
        };
      }

      const now = clock.now();
      const expiresAt = new Date(now.getTime() + campaign.holdSeconds * 1000);
      if (input.visitorId) {
        const longestHold = Math.max(...siteCampaigns.map((c) => c.holdSeconds));
        const recent = await repo.findRecentSession(
          site.id,
          input.visitorId,
          new Date(now.getTime() - longestHold * 1000),
        );
        const recentCampaign = recent && siteCampaigns.find((c) => c.id === recent.campaignId);
        const live =
          recent &&
          recentCampaign &&
          recent.lastSeenAt.getTime() + recentCampaign.holdSeconds * 1000 > now.getTime();
        // Same visit unless the visitor came back through a different campaign's source.
        if (
          live &&
          recentCampaign &&
          (recentCampaign.id === campaign.id || !hasSourceSignal(visit))
        ) {
          const hold = new Date(now.getTime() + recentCampaign.holdSeconds * 1000);
          const r = await renew(recentCampaign, recent, now, hold);
          return { body: answer(site, recentCampaign, recent, r.number, hold, r.shared), site };
        }
      }

      const session = await repo.insertSession({
        siteId: site.id,
        campaignId: campaign.id,
        visitorId: input.visitorId ?? newVisitorId(),
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
        createdAt: now,
        lastSeenAt: now,
      });
      const r = await leaseFor(campaign, session, now, expiresAt);
      log.debug(
        { sessionId: session.id, campaignId: campaign.id, shared: r.shared },
        'visitor session started',
      );
      return { body: answer(site, campaign, session, r.number, expiresAt, r.shared), site };
    },
  };
}
export type DniService = ReturnType<typeof createDniService>;
