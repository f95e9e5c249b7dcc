import type { JobHandler } from '../jobs/queue';
import type { RetentionService } from './retention';

/** `privacy.retention`: one retention run (idempotent, so a retried run is harmless). */
export function retentionJob(retention: RetentionService): JobHandler<'privacy.retention'> {
  return async function runRetention() {
    await retention.run();
  };
}
