import type { Clock } from '../shared/clock';
import { ConflictError, NotFoundError, UpstreamError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { TwilioApiError, type TwilioNumbersApi, type VoiceHooks } from '../shared/twilio';
import type { CampaignService } from '../campaigns/campaigns.service';
import type { NumberDirectory } from './number-directory';
import type { NumbersRepo, TrackingNumberRow } from './numbers.repo';
import type { ProvisionInput } from './numbers.schemas';
import { nationalFormat } from './phone';

const DAY_MS = 86_400_000;
const HEADROOM = 0.2;
const MIN_POOL = 2;

export interface NumbersServiceDeps {
  repo: NumbersRepo;
  campaigns: CampaignService;
  directory: NumberDirectory;
  twilio: TwilioNumbersApi;
  clock: Clock;
  log: Logger;
  publicBaseUrl: string;
  quarantineDays: number;
  demoMode: boolean;
}

export const numberOut = (n: TrackingNumberRow) => ({
  id: n.id,
  campaignId: n.campaignId,
  e164: n.e164,
  national: nationalFormat(n.e164),
  kind: n.kind,
  status: n.status,
  locality: n.locality,
  region: n.region,
  demo: n.demo,
  twilioSid: n.twilioSid,
  provisionedAt: n.provisionedAt,
  releasedAt: n.releasedAt,
  quarantineUntil: n.quarantineUntil,
});

/** Buying, configuring and releasing tracking numbers, and the health of each pool. */
export function createNumbersService(deps: NumbersServiceDeps) {
  const { repo, twilio, clock, log } = deps;
  const hooks: VoiceHooks = {
    voiceUrl: `${deps.publicBaseUrl}/twilio/voice`,
    statusCallback: `${deps.publicBaseUrl}/twilio/status`,
    voiceFallbackUrl: `${deps.publicBaseUrl}/twilio/fallback`,
  };

  function twilioFailure(err: unknown): never {
    if (err instanceof TwilioApiError) {
      throw new UpstreamError(
        'Twilio',
        `${err.message}${err.code ? ` (code ${err.code})` : ''}`,
        'twilio_error',
      );
    }
    throw err;
  }

  return {
    hooks,

    /**
     * Buys `count` numbers for a campaign and points them at Leadline. Numbers Leadline released
     * within the quarantine period are skipped, so old callers never reach a new campaign.
     */
    async provision(
      campaignId: string,
      input: ProvisionInput,
      onProgress?: (done: number, total: number) => void,
    ) {
      const campaign = await deps.campaigns.getCampaign(campaignId);
      let offered;
      try {
        offered = await twilio.searchAvailable({
          areaCode: input.areaCode,
          nearZip: input.nearZip,
          tollFree: input.tollFree,
          limit: Math.min(input.count * 2 + 10, 100),
        });
      } catch (err) {
        twilioFailure(err);
      }
      const [{ active, quarantined }, reserved] = await Promise.all([
        repo.unavailable(
          offered.map((n) => n.e164),
          clock.now(),
        ),
        deps.campaigns.reservedNumbers(),
      ]);
      // A site's printed number or a campaign's fallback must never become a pool number.
      const candidates = offered.filter(
        (n) => !active.has(n.e164) && !quarantined.has(n.e164) && !reserved.has(n.e164),
      );
      if (candidates.length === 0) {
        const held = offered.filter((n) => reserved.has(n.e164)).length;
        const why = [
          quarantined.size ? `${quarantined.size} quarantined` : '',
          held ? `${held} a site's own or fallback number` : '',
        ].filter(Boolean);
        throw new ConflictError(
          `Twilio has no numbers for that search${why.length ? ` that Leadline may use (${why.join(', ')})` : ''}; try another area code or ZIP`,
          'no_numbers_available',
        );
      }
      const bought: TrackingNumberRow[] = [];
      const errors: { e164: string; message: string; code?: number }[] = [];
      for (const candidate of candidates) {
        if (bought.length >= input.count) break;
        try {
          const purchase = await twilio.buy(
            candidate.e164,
            hooks,
            `Leadline · ${campaign.name}`.slice(0, 64),
          );
          const row = await repo
            .insertNumber({
              campaignId,
              e164: purchase.e164,
              twilioSid: purchase.sid,
              kind: input.kind,
              locality: candidate.locality ?? null,
              region: candidate.region ?? null,
              demo: deps.demoMode,
              provisionedAt: clock.now(),
            })
            .catch(async (err: unknown) => {
              // Bought but not recorded: give it back rather than pay for a number nobody uses.
              await twilio.release(purchase.sid).catch(() => undefined);
              throw err;
            });
          bought.push(row);
          deps.directory.numberAdded(row, campaign);
          onProgress?.(bought.length, input.count);
          log.info({ campaignId, numberId: row.id, e164: row.e164 }, 'tracking number provisioned');
        } catch (err) {
          if (!(err instanceof TwilioApiError)) throw err;
          // 21422: someone else bought it between search and purchase; try the next one.
          errors.push({
            e164: candidate.e164,
            message: err.message,
            ...(err.code ? { code: err.code } : {}),
          });
          if (err.code !== 21422) break;
        }
      }
      if (bought.length === 0) {
        const first = errors[0];
        throw new UpstreamError(
          'Twilio',
          first ? first.message : 'no number could be bought',
          'twilio_error',
        );
      }
      return {
        numbers: bought.map(numberOut),
        requested: input.count,
        ...(bought.length < input.count ? { shortfall: input.count - bought.length, errors } : {}),
        ...(deps.demoMode
          ? { demo: true, note: 'demo mode: fictional 555-01XX numbers, no Twilio account' }
          : {}),
      };
    },

    /** Releases a number at Twilio and quarantines it in Leadline. */
    async release(numberId: string) {
      const number = await repo.findNumber(numberId);
      if (!number || number.status !== 'active')
        throw new NotFoundError('tracking number', 'number_not_found');
      if (number.twilioSid) {
        try {
          await twilio.release(number.twilioSid);
        } catch (err) {
          // Already gone at Twilio: finish the release on our side.
          if (!(err instanceof TwilioApiError && err.status === 404)) twilioFailure(err);
        }
      }
      const now = clock.now();
      const quarantineUntil = new Date(now.getTime() + deps.quarantineDays * DAY_MS);
      await repo.markReleased(number.id, now, quarantineUntil);
      deps.directory.numberReleased(number.e164);
      log.info({ numberId, e164: number.e164 }, 'tracking number released');
      return {
        ...numberOut(number),
        status: 'released' as const,
        releasedAt: now,
        quarantineUntil,
      };
    },

    /** Which of these numbers are active tracking numbers (so campaigns can refuse them). */
    async trackingNumbersAmong(e164s: string[]): Promise<string[]> {
      const { active } = await repo.unavailable(e164s, clock.now());
      return [...active];
    },

    /** Which visit a call on the number at `at` belongs to, and how sure that is. */
    callVisit: (numberId: string, at: Date, graceSeconds: number) =>
      repo.callVisit(numberId, at, graceSeconds),

    async listNumbers(campaignId: string) {
      await deps.campaigns.getCampaign(campaignId);
      return (await repo.listNumbers(campaignId)).map(numberOut);
    },

    /** Size, use and a recommended size: the peak concurrent visitors of the last 7 days + headroom. */
    async poolHealth(campaignId: string) {
      const campaign = await deps.campaigns.getCampaign(campaignId);
      const now = clock.now();
      const since = new Date(now.getTime() - 7 * DAY_MS);
      const [counts, hours, exhaustion] = await Promise.all([
        repo.poolCounts(campaignId, now),
        repo.peakConcurrentByHour(campaignId, since, now),
        repo.exhaustionCount(campaignId, since),
      ]);
      const peak = Math.max(counts.leased, ...hours.map((h) => h.peak), 0);
      const recommended = Math.max(MIN_POOL, Math.ceil(peak * (1 + HEADROOM)) + 1);
      const holdMin = Math.round(campaign.holdSeconds / 60);
      const reason =
        peak === 0
          ? `no visitor sessions in the last 7 days; keep at least ${MIN_POOL} numbers`
          : `peak of ${peak} concurrent visitor sessions in the last 7 days with a ${holdMin}-minute hold window, plus ${HEADROOM * 100}% headroom and one spare` +
            (exhaustion.total > 0
              ? `; the pool ran out ${exhaustion.total} time(s), and visitors who arrived then shared a number, so a call from them cannot be tied to one visit`
              : '');
      return {
        campaignId,
        size: counts.size,
        leasedNow: counts.leased,
        utilization: counts.size ? +(counts.leased / counts.size).toFixed(3) : 0,
        peakConcurrent7d: peak,
        peakConcurrentByHour: hours.map((h) => ({ hour: h.hour.toISOString(), peak: h.peak })),
        exhaustionEvents: {
          last7d: exhaustion.total,
          lastAt: exhaustion.last?.toISOString() ?? null,
        },
        holdSeconds: campaign.holdSeconds,
        recommendedSize: recommended,
        recommendation: {
          action: recommended > counts.size ? 'add' : recommended < counts.size ? 'remove' : 'keep',
          delta: recommended - counts.size,
          reason,
        },
      };
    },

    /** For /metrics: each campaign's pool size and numbers leased now, in one query. */
    poolUse: () => repo.poolUse(clock.now()),
    /** For /metrics: pool exhaustions this process has seen, per campaign (from memory). */
    exhaustionsSeen: () => repo.exhaustionsSeen(),

    /** Privacy: visitor sessions keep their campaign attribution and lose what identifies them. */
    forgetVisitors: (scope: Parameters<NumbersRepo['forgetVisitors']>[0]) =>
      repo.forgetVisitors(scope),
  };
}
export type NumbersService = ReturnType<typeof createNumbersService>;
