import type { JobHandler } from '../jobs/queue';
import type { ScoringService } from './scoring.service';

/** `scoring.rescore`: rescores the calls of a run; a retried run starts its count over. */
export function rescoreJob(
  scoring: Pick<ScoringService, 'runRescore'>,
): JobHandler<'scoring.rescore'> {
  return async function rescoreHandler(payload) {
    await scoring.runRescore(payload);
  };
}
