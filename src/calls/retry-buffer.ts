import type { Logger } from '../shared/logger';

/**
 * Webhooks that arrived while the database was failing, kept in memory and written again until
 * they succeed, so a call already answered is recorded once the database is back. Writes are
 * idempotent (events dedupe), so retrying one that did land is harmless. Bounded: past `max`,
 * the oldest is dropped and logged (the later status callbacks still rebuild the call).
 */
export function createRetryBuffer(deps: { log: Logger; intervalMs?: number; max?: number }) {
  const pending: { key: string; attempt: () => Promise<void>; tries: number }[] = [];
  let timer: NodeJS.Timeout | undefined;
  let running = false;

  async function flush(): Promise<number> {
    if (running) return pending.length;
    running = true;
    try {
      while (pending.length > 0) {
        const item = pending[0];
        if (!item) break;
        try {
          await item.attempt();
          pending.shift();
        } catch (err) {
          item.tries += 1;
          deps.log.warn(
            { key: item.key, tries: item.tries, err },
            'buffered webhook still failing',
          );
          break;
        }
      }
    } finally {
      running = false;
    }
    return pending.length;
  }

  return {
    add(key: string, attempt: () => Promise<void>) {
      if (pending.length >= (deps.max ?? 10_000)) {
        const dropped = pending.shift();
        deps.log.error({ key: dropped?.key }, 'webhook retry buffer full; dropped the oldest');
      }
      pending.push({ key, attempt, tries: 0 });
    },
    flush,
    /** Retries what is pending every `intervalMs` until stop(). */
    start() {
      if (timer) return;
      timer = setInterval(() => void flush(), deps.intervalMs ?? 2_000);
      timer.unref();
    },
    size: () => pending.length,
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
export type RetryBuffer = ReturnType<typeof createRetryBuffer>;
