import type { Clock } from '../shared/clock';
import { chunks } from './chunks';
import { isContactId } from './mapping';
import { MAX_COLLECTION, type SalesforceApi } from './salesforce.client';
import { firstError, type Item, type SyncResults } from './sync-results';
import { memberKey, type SyncRepo } from './sync.repo';

/**
 * Adds each caller as "Responded" to the Salesforce Campaign mapped to the call's campaign, once
 * per person and campaign (Leadline remembers the memberships it made).
 */
export async function addCampaignMembers(
  deps: { repo: SyncRepo; clock: Clock; results: SyncResults },
  sf: SalesforceApi,
  items: Item[],
): Promise<void> {
  const { repo, clock, results } = deps;
  const pairs = items.map((i) => ({
    i,
    whoId: i.whoId as string,
    sfCampaignId: i.campaign?.salesforceCampaignId as string,
  }));
  const existing = await repo.existingMembers(pairs);
  const todo = new Map<string, (typeof pairs)[number]>();
  for (const p of pairs) {
    const key = memberKey(p.whoId, p.sfCampaignId);
    if (!existing.has(key) && !todo.has(key)) todo.set(key, p);
  }
  for (const chunk of chunks([...todo.values()], MAX_COLLECTION)) {
    const saved = await sf.createMany(
      'CampaignMember',
      chunk.map((p) => ({
        CampaignId: p.sfCampaignId,
        [isContactId(p.whoId) ? 'ContactId' : 'LeadId']: p.whoId,
        Status: 'Responded',
      })),
    );
    for (const [k, p] of chunk.entries()) {
      const r = saved[k];
      // DUPLICATE_VALUE: already a member (added by someone else, or a lost response).
      if (r?.success || firstError(r).statusCode === 'DUPLICATE_VALUE') {
        await repo.addMember({
          whoId: p.whoId,
          sfCampaignId: p.sfCampaignId,
          memberId: r?.id ?? null,
          callSid: p.i.call.callSid,
          createdAt: clock.now(),
        });
      } else {
        const e = firstError(r);
        await results.fail(p.i, e.statusCode, `CampaignMember: ${e.message}`);
      }
    }
  }
}
