import type { JobHandler } from '../jobs/queue';
import type { SyncService } from './sync.service';

/**
 * `salesforce.sync`: records that the call is due in Salesforce. The job only writes the sync
 * state; the batch (up to 200 calls, after a window of seconds) does the Salesforce requests, so
 * a job that runs twice queues the call once.
 */
export function salesforceSyncJob(
  sync: Pick<SyncService, 'callScored'>,
): JobHandler<'salesforce.sync'> {
  return async function salesforceSyncHandler({ callSid }) {
    await sync.callScored(callSid);
  };
}
