const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The weekday (0 = Sunday) and "HH:MM" wall-clock time at `at` in an IANA zone, DST included. */
export function localTime(at: Date, timeZone: string): { day: number; hhmm: string } {
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, fmt);
  }
  let day = 0;
  let hour = '00';
  let minute = '00';
  for (const p of fmt.formatToParts(at)) {
    if (p.type === 'weekday') day = WEEKDAYS[p.value] ?? 0;
    else if (p.type === 'hour') hour = p.value;
    else if (p.type === 'minute') minute = p.value;
  }
  return { day, hhmm: `${hour}:${minute}` };
}
