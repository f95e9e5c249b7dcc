import type { Enqueue } from '../jobs/queue';
import type { Clock } from '../shared/clock';
import { ForbiddenError, NotFoundError, ValidationError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import type { DispositionsRepo } from './dispositions.repo';
import type { DispositionInput } from './dispositions.schemas';

/** A call's disposition as the calls API shows it. */
export interface Disposition {
  label: string;
  note: string | null;
  at: Date;
}

export interface DispositionServiceDeps {
  repo: DispositionsRepo;
  /** The configured labels (DISPOSITION_LABELS), in their canonical spelling. */
  labels: readonly string[];
  /** Whether the calls feature knows this call (routing does not read the calls table). */
  callExists: (callSid: string) => Promise<boolean>;
  /** The agents who may disposition a call from the console: who took it or called it back. */
  agentsOf: (callSid: string) => Promise<ReadonlySet<string>>;
  /** Queues the call's rescoring (a disposition is a scoring fact). */
  enqueue: Enqueue;
  clock: Clock;
  log: Logger;
}

const norm = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase();

/** Dispositions: one label from a configured list (case-insensitive) and a short note per call. */
export function createDispositionService(deps: DispositionServiceDeps) {
  const { repo, clock, log } = deps;
  const canonical = new Map(deps.labels.map((l) => [norm(l), l]));

  function labelOf(input: string): string {
    const label = canonical.get(norm(input));
    if (!label) {
      const message = `must be one of: ${deps.labels.join(', ')}`;
      throw new ValidationError(`invalid body: disposition: ${message}`, [
        { field: 'disposition', message },
      ]);
    }
    return label;
  }

  return {
    labels: (): readonly string[] => deps.labels,

    /**
     * Sets a call's disposition (replacing the previous one) and queues its rescoring. From the
     * console (`agentId`) only the agent who took the call, or called the caller back, may.
     */
    async set(callSid: string, input: DispositionInput, agentId?: string): Promise<Disposition> {
      const label = labelOf(input.disposition);
      if (!(await deps.callExists(callSid))) throw new NotFoundError('call', 'call_not_found');
      if (agentId !== undefined && !(await deps.agentsOf(callSid)).has(agentId)) {
        throw new ForbiddenError('only the agent who took this call may set its disposition');
      }
      const row = await repo.upsert({
        callSid,
        label,
        note: input.note ? input.note : null,
        agentId: agentId ?? null,
        at: clock.now(),
      });
      await deps.enqueue('call.score', { callSid });
      log.info({ callSid, label, agentId }, 'call disposition set');
      return { label: row.label, note: row.note, at: row.at };
    },

    /** The current dispositions of some calls, by call sid (calls without one are absent). */
    async dispositionsOf(callSids: string[]): Promise<Map<string, Disposition>> {
      const rows = await repo.findMany(callSids);
      return new Map(rows.map((r) => [r.callSid, { label: r.label, note: r.note, at: r.at }]));
    },

    /** The label alone, for scoring's `disposition` fact; null when none is set. */
    async labelFor(callSid: string): Promise<string | null> {
      const [row] = await repo.findMany([callSid]);
      return row?.label ?? null;
    },
  };
}
export type DispositionService = ReturnType<typeof createDispositionService>;
