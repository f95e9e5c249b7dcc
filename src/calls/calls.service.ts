import { NotFoundError } from '../shared/errors';
import type { BlockList } from './block-list';
import type { CallFilter, CallRow, CallsRepo } from './calls.repo';

/** Reading calls (list, one call with its legs and events) and managing the block list. */
export function createCallService(deps: { repo: CallsRepo; blockList: BlockList }) {
  const { repo, blockList } = deps;
  return {
    listCalls: (filter: CallFilter): Promise<CallRow[]> => repo.listCalls(filter),

    async getCall(callSid: string) {
      const call = await repo.findCall(callSid);
      if (!call) throw new NotFoundError('call', 'call_not_found');
      const legs = await repo.childLegs(callSid);
      const events = await repo.eventsOf([callSid, ...legs.map((l) => l.callSid)]);
      return { call, legs, events };
    },

    listBlocked: () => blockList.list(),
    block: (pattern: string, reason: string | null) => blockList.add(pattern, reason),
    unblock: (id: string) => blockList.remove(id),
  };
}
export type CallService = ReturnType<typeof createCallService>;
