import type { CampaignService } from '../campaigns/campaigns.service';
import type { FollowUpService } from '../routing/follow-ups.service';
import type { Clock } from '../shared/clock';
import { NotFoundError } from '../shared/errors';

export interface FollowUpReportDeps {
  followUps: Pick<FollowUpService, 'missedBetween'>;
  /** Campaign names, read through the campaigns service. */
  campaigns: Pick<CampaignService, 'getCampaign'>;
  /** A missed call should be called back within this many minutes (FOLLOW_UP_TARGET_MINUTES). */
  targetMinutes: number;
  clock: Clock;
}

/** One campaign's speed to lead over the report's window. */
export interface CampaignFollowUps {
  campaignId: string | null;
  /** The campaign's current name; null without a campaign, or when it no longer exists. */
  campaignName: string | null;
  /** Missed calls that became follow-ups. */
  missed: number;
  /** Not closed yet. */
  open: number;
  /** First callback later than the target, or none yet with the target passed. */
  overdue: number;
  calledBack: number;
  /** From the missed call's end to Leadline placing the first callback (null: none yet). */
  medianSecondsToCallback: number | null;
  p90SecondsToCallback: number | null;
}

const DAY_MS = 24 * 3600_000;

/** Nearest-rank percentile of sorted values (null when there are none). */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? null;
}

/** GET /api/v1/reports/follow-ups: open, overdue and time to callback per campaign. */
export function createFollowUpReport(deps: FollowUpReportDeps) {
  const targetMs = deps.targetMinutes * 60_000;

  /** Each campaign's name by id (one read per campaign in the report). */
  async function namesOf(ids: (string | null)[]): Promise<Map<string, string>> {
    const known = ids.filter((id): id is string => id !== null);
    const rows = await Promise.all(
      known.map((id) =>
        deps.campaigns.getCampaign(id).catch((err: unknown) => {
          if (err instanceof NotFoundError) return undefined;
          throw err;
        }),
      ),
    );
    return new Map(rows.flatMap((c) => (c ? [[c.id, c.name] as const] : [])));
  }

  return {
    async byCampaign(window: { since?: Date; until?: Date }) {
      const now = deps.clock.now();
      const until = window.until ?? now;
      const since = window.since ?? new Date(until.getTime() - 7 * DAY_MS);
      const rows = await deps.followUps.missedBetween(since, until);
      const groups = new Map<string | null, typeof rows>();
      for (const row of rows) {
        const list = groups.get(row.campaignId) ?? [];
        list.push(row);
        groups.set(row.campaignId, list);
      }
      const names = await namesOf([...groups.keys()]);
      const campaigns: CampaignFollowUps[] = [...groups].map(([campaignId, list]) => {
        const waits = list
          .flatMap((f) =>
            f.firstCallbackAt ? [(f.firstCallbackAt.getTime() - f.missedAt.getTime()) / 1000] : [],
          )
          .sort((a, b) => a - b);
        const overdue = list.filter((f) => {
          const due = f.missedAt.getTime() + targetMs;
          return f.firstCallbackAt ? f.firstCallbackAt.getTime() > due : now.getTime() > due;
        }).length;
        return {
          campaignId,
          campaignName: campaignId ? (names.get(campaignId) ?? null) : null,
          missed: list.length,
          open: list.filter((f) => f.state !== 'closed').length,
          overdue,
          calledBack: waits.length,
          medianSecondsToCallback: percentile(waits, 50),
          p90SecondsToCallback: percentile(waits, 90),
        };
      });
      return { since, until, targetMinutes: deps.targetMinutes, campaigns };
    },
  };
}
export type FollowUpReport = ReturnType<typeof createFollowUpReport>;
