import type { WeeklyHours } from '../../db/schema';
import { localTime } from '../geo/local-time';

/** True when `local` falls inside one of that weekday's [start, end) ranges; no hours = any time. */
export function withinHours(
  hours: WeeklyHours | null | undefined,
  local: { day: number; hhmm: string },
): boolean {
  if (!hours) return true;
  const ranges = hours[String(local.day)] ?? [];
  return ranges.some(([start, end]) => local.hhmm >= start && local.hhmm < end);
}

/**
 * Memoises the local time per zone for one decision: thousands of agents share a few zones, and
 * formatting a date is the slowest step of filtering a candidate.
 */
export function localTimes(at: Date) {
  const byZone = new Map<string, { day: number; hhmm: string }>();
  return (timeZone: string) => {
    let t = byZone.get(timeZone);
    if (!t) {
      t = localTime(at, timeZone);
      byZone.set(timeZone, t);
    }
    return t;
  };
}
