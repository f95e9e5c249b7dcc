import type { Logger } from '../shared/logger';

/**
 * Tracking number → campaign fallback number, in memory, so a caller is dialled through even when
 * the database is down or slow. Refreshed from the database in the background and on every call
 * the database did answer.
 */
export function createFallbackCache(deps: {
  load: () => Promise<{ e164: string; fallbackNumber: string }[]>;
  log: Logger;
  refreshMs?: number;
}) {
  const table = new Map<string, string>();
  let timer: NodeJS.Timeout | undefined;

  async function refresh(): Promise<void> {
    try {
      const rows = await deps.load();
      table.clear();
      for (const r of rows) table.set(r.e164, r.fallbackNumber);
    } catch (err) {
      deps.log.warn({ err }, 'fallback cache refresh failed; keeping the last table');
    }
  }

  return {
    refresh,
    start() {
      void refresh();
      timer = setInterval(() => void refresh(), deps.refreshMs ?? 60_000);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
    },
    get: (trackingNumber: string) => table.get(trackingNumber),
    remember: (trackingNumber: string, fallbackNumber: string) =>
      table.set(trackingNumber, fallbackNumber),
  };
}
export type FallbackCache = ReturnType<typeof createFallbackCache>;
