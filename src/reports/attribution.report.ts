import type { AttributionGroup } from '../calls/calls.repo';
import type { CallService } from '../calls/calls.service';
import type { SyncService } from '../salesforce/sync.service';
import type { Clock } from '../shared/clock';

export interface AttributionReportDeps {
  calls: Pick<CallService, 'attributionTotals'>;
  /** Won revenue per credited call; the Salesforce feature provides it. */
  revenue: Pick<SyncService, 'wonRevenueByCall'>;
  clock: Clock;
}

const DAY_MS = 24 * 3600_000;

/** GET /api/v1/reports/attribution: calls, answers, qualified calls and revenue per group. */
export function createAttributionReport(deps: AttributionReportDeps) {
  return {
    async byGroup(groupBy: AttributionGroup, window: { since?: Date; until?: Date }) {
      const until = window.until ?? deps.clock.now();
      const since = window.since ?? new Date(until.getTime() - 7 * DAY_MS);
      const credited = await deps.revenue.wonRevenueByCall();
      const rows = await deps.calls.attributionTotals(groupBy, { since, until }, credited);
      return { groupBy, since, until, rows };
    },
  };
}
export type AttributionReport = ReturnType<typeof createAttributionReport>;
