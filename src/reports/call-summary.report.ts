import { localDate } from '../geo/local-time';
import type { CallService } from '../calls/calls.service';
import type { Clock } from '../shared/clock';
import { ValidationError } from '../shared/errors';
import { percentile } from './follow-ups.report';

export interface CallSummaryDeps {
  calls: Pick<CallService, 'listScored'>;
  clock: Clock;
}

/** One calendar day in the report's time zone. */
export interface DayTotals {
  /** YYYY-MM-DD in the report's time zone. */
  date: string;
  calls: number;
  answered: number;
  qualified: number;
}

const DAY_MS = 24 * 3600_000;
const PAGE = 500;
/** The longest window the summary counts day by day (a year and a day, for leap years). */
export const SUMMARY_MAX_DAYS = 366;
/**
 * The most calls one summary reads (newest first). Beyond it the figures cover only the latest
 * calls and say so with `complete: false`, rather than let one request read without bound.
 */
export const SUMMARY_MAX_CALLS = 20_000;

/** Every calendar date from `first` to `last` (YYYY-MM-DD, inclusive). */
function datesBetween(first: string, last: string): string[] {
  const out: string[] = [];
  const end = Date.parse(`${last}T00:00:00Z`);
  for (let t = Date.parse(`${first}T00:00:00Z`); t <= end; t += DAY_MS) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

/**
 * GET /api/v1/reports/summary: the dashboard's headline figures over a window (calls, answered,
 * qualified, first-time callers, median talk time) and the same counts per day in a time zone.
 * Counts follow the attribution report: parent legs started in [since, until), answered by
 * outcome, qualified by the call's score.
 */
export function createCallSummaryReport(deps: CallSummaryDeps) {
  return {
    async summarize(window: { since?: Date; until?: Date }, timeZone: string) {
      const until = window.until ?? deps.clock.now();
      const since = window.since ?? new Date(until.getTime() - 7 * DAY_MS);
      if (until.getTime() - since.getTime() > SUMMARY_MAX_DAYS * DAY_MS) {
        throw new ValidationError(
          `invalid query: since: must be at most ${SUMMARY_MAX_DAYS} days before until`,
          [{ field: 'since', message: `at most ${SUMMARY_MAX_DAYS} days before until` }],
        );
      }
      const days = new Map<string, DayTotals>(
        datesBetween(
          localDate(since, timeZone),
          localDate(new Date(until.getTime() - 1), timeZone),
        ).map((date) => [date, { date, calls: 0, answered: 0, qualified: 0 }]),
      );
      const totals = { calls: 0, answered: 0, qualified: 0, firstTime: 0 };
      const talk: number[] = [];
      let cursor: { startedAt: Date; callSid: string } | undefined;
      let complete = true;
      for (;;) {
        const { rows } = await deps.calls.listScored({ since, until, cursor, limit: PAGE }, {});
        for (const { call, score } of rows) {
          if (totals.calls === SUMMARY_MAX_CALLS) {
            complete = false;
            break;
          }
          const answered = call.outcome === 'answered';
          const qualified = score?.qualified === true;
          totals.calls++;
          if (answered) totals.answered++;
          if (qualified) totals.qualified++;
          if (call.firstTime) totals.firstTime++;
          if (answered && call.talkSeconds !== null) talk.push(call.talkSeconds);
          const day = days.get(localDate(call.startedAt, timeZone));
          if (day) {
            day.calls++;
            if (answered) day.answered++;
            if (qualified) day.qualified++;
          }
        }
        const last = rows[rows.length - 1]?.call;
        if (!complete || rows.length < PAGE || !last) break;
        cursor = { startedAt: last.startedAt, callSid: last.callSid };
      }
      talk.sort((a, b) => a - b);
      return {
        since,
        until,
        timeZone,
        complete,
        totals: { ...totals, medianTalkSeconds: percentile(talk, 50) },
        days: [...days.values()],
      };
    },
  };
}
export type CallSummaryReport = ReturnType<typeof createCallSummaryReport>;
