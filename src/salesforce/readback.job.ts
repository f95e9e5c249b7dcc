import type { JobHandler } from '../jobs/queue';
import type { SyncService } from './sync.service';

/** `salesforce.readback`: one read-back of outcomes (idempotent: outcomes are upserted). */
export function salesforceReadBackJob(
  sync: Pick<SyncService, 'readBack'>,
): JobHandler<'salesforce.readback'> {
  return async function salesforceReadBackHandler() {
    await sync.readBack();
  };
}
