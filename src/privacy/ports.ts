import type { CallService } from '../calls/calls.service';
import type { NumbersService } from '../numbers/numbers.service';
import type { ScoringService } from '../scoring/scoring.service';
import type { RoutingService } from '../routing/routing.service';
import type { SyncService } from '../salesforce/sync.service';
import type { JobQueue } from '../jobs/queue';

/**
 * What privacy asks of the features that hold personal data: each erases its own rows through one
 * method of its service, so privacy never reads another feature's tables.
 */
export interface PersonalDataHolders {
  calls: Pick<CallService, 'forgetCallerData'>;
  numbers: Pick<NumbersService, 'forgetVisitors'>;
  scoring: Pick<ScoringService, 'forgetCallerFacts' | 'forgetTranscripts' | 'expireTranscripts'>;
  routing: Pick<RoutingService, 'forgetCallerPlace' | 'forgetCallerNotes'>;
  salesforce: Pick<SyncService, 'forgetCalls'>;
  jobs: Pick<JobQueue, 'eraseJobs'>;
}
