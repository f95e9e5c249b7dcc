import type { JobHandler } from '../jobs/queue';
import type { Logger } from '../shared/logger';
import type { ScoringService } from './scoring.service';

/** `call.score`: scores a finished call. Idempotent: running it twice writes the same score. */
export function scoreCallJob(
  scoring: Pick<ScoringService, 'scoreCall'>,
  log: Logger,
  /** Told of each call once it is scored (the Salesforce sync queues it). */
  onScored?: (callSid: string) => Promise<unknown>,
): JobHandler<'call.score'> {
  return async function scoreCallHandler({ callSid }) {
    const result = await scoring.scoreCall(callSid);
    if (result) log.info({ callSid, score: result.score, label: result.label }, 'call scored');
    if (result && onScored) await onScored(callSid);
    else log.debug({ callSid }, 'call not scored: unknown or not finished');
  };
}
