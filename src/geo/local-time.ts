const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** One formatter per zone and reading (building one costs far more than using it). */
function cachedFormatter(options: Intl.DateTimeFormatOptions) {
  const byZone = new Map<string, Intl.DateTimeFormat>();
  return (timeZone: string): Intl.DateTimeFormat => {
    let fmt = byZone.get(timeZone);
    if (!fmt) {
      fmt = new Intl.DateTimeFormat('en-US', { ...options, timeZone });
      byZone.set(timeZone, fmt);
    }
    return fmt;
  };
}

const clockFormat = cachedFormatter({
  weekday: 'short',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
const dateFormat = cachedFormatter({ year: 'numeric', month: '2-digit', day: '2-digit' });

/** The weekday (0 = Sunday) and "HH:MM" wall-clock time at `at` in an IANA zone, DST included. */
export function localTime(at: Date, timeZone: string): { day: number; hhmm: string } {
  let day = 0;
  let hour = '00';
  let minute = '00';
  for (const p of clockFormat(timeZone).formatToParts(at)) {
    if (p.type === 'weekday') day = WEEKDAYS[p.value] ?? 0;
    else if (p.type === 'hour') hour = p.value;
    else if (p.type === 'minute') minute = p.value;
  }
  return { day, hhmm: `${hour}:${minute}` };
}

/** The calendar date (YYYY-MM-DD) of `at` in an IANA time zone. */
export function localDate(at: Date, timeZone: string): string {
  const parts = dateFormat(timeZone).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year').padStart(4, '0')}-${part('month')}-${part('day')}`;
}
