import type { Logger } from '../shared/logger';

/**
 * Queues the read-back once per period for the whole cluster: every node ticks several times a
 * period and asks the queue for this period's job; the queue keeps one job per period (its slot
 * comes from the database's clock), and whichever node's worker takes it runs it. A node that
 * stops leaves the others to queue it. pg-boss archives a completed job after 12 hours, after
 * which its period's slot is free again, so periods are capped there.
 */
export function createReadBackSchedule(deps: {
  everyMs: number;
  /** The queue's enqueueOncePer for `salesforce.readback`: the job id, or null if already queued. */
  queueOncePer: (seconds: number) => Promise<string | null>;
  log: Logger;
}) {
  const periodSeconds = Math.min(12 * 3600, Math.max(1, Math.round(deps.everyMs / 1000)));
  // Ticking a quarter period (at most a minute) apart, no period is skipped by timer drift.
  const tickMs = Math.min(60_000, Math.max(250, (periodSeconds * 1000) / 4));
  let timer: NodeJS.Timeout | null = null;

  async function tick(): Promise<string | null> {
    const id = await deps.queueOncePer(periodSeconds);
    if (id) deps.log.debug({ jobId: id, periodSeconds }, 'salesforce read-back queued');
    return id;
  }
  function tickLogged() {
    tick().catch((err: unknown) => deps.log.warn({ err }, 'salesforce read-back not queued'));
  }

  return {
    periodSeconds,
    tick,
    start() {
      if (timer) return;
      timer = setInterval(tickLogged, tickMs);
      timer.unref();
      tickLogged();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
