import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import {
  callScoresView,
  salesforceCampaignMembers,
  salesforceOutcomes,
  salesforceSync,
} from '../../db/schema';
import type { Db } from '../shared/db';

export type SyncRow = typeof salesforceSync.$inferSelect;
export type OutcomeRow = typeof salesforceOutcomes.$inferSelect;
/** A revenue report's dimension. */
export type RevenueGroup = 'campaign' | 'source' | 'keyword';
export type SyncPatch = Partial<Omit<SyncRow, 'callSid' | 'createdAt'>>;

/** The sync's own tables: per-call state (with dead letters) and campaign memberships. */
export function createSyncRepo(db: Db) {
  return {
    /**
     * A call was scored: queue it, or (already synced) mark its Task for an update. A dead letter
     * stays dead until retried on purpose.
     */
    async markScored(callSid: string, now: Date): Promise<void> {
      await db
        .insert(salesforceSync)
        .values({ callSid, state: 'pending', nextAttemptAt: now, createdAt: now, updatedAt: now })
        .onConflictDoUpdate({
          target: salesforceSync.callSid,
          set: {
            needsUpdate: sql`${salesforceSync.taskId} is not null`,
            state: sql`case when ${salesforceSync.state} = 'dead' then 'dead' else 'pending' end`,
            nextAttemptAt: sql`case when ${salesforceSync.state} = 'synced' then ${now.toISOString()}::timestamptz else ${salesforceSync.nextAttemptAt} end`,
            updatedAt: now,
          },
        });
    },

    /**
     * Takes up to `limit` due rows for this node until `holdUntil`; rows another node holds are
     * skipped (`for update skip locked`), so two nodes never send the same call at once.
     */
    async claimDue(now: Date, holdUntil: Date, limit: number): Promise<SyncRow[]> {
      // Lock the due rows (skipping rows another node has locked), then mark them, in one
      // transaction: the LIMIT is applied once, to the rows that are then marked.
      return db.transaction(async (tx) => {
        const due = await tx
          .select({ callSid: salesforceSync.callSid })
          .from(salesforceSync)
          .where(
            and(
              eq(salesforceSync.state, 'pending'),
              sql`${salesforceSync.nextAttemptAt} <= ${now.toISOString()}::timestamptz`,
              sql`(${salesforceSync.claimedUntil} is null or ${salesforceSync.claimedUntil} < ${now.toISOString()}::timestamptz)`,
            ),
          )
          .orderBy(salesforceSync.nextAttemptAt)
          .limit(limit)
          .for('update', { skipLocked: true });
        if (due.length === 0) return [];
        return tx
          .update(salesforceSync)
          .set({ claimedUntil: holdUntil })
          .where(
            inArray(
              salesforceSync.callSid,
              due.map((d) => d.callSid),
            ),
          )
          .returning();
      });
    },

    /**
     * Synced calls scored again since (a rescoring run scores without telling anyone): their
     * Tasks need the new score. Reads scoring's declared view `call_scores_v`, not its table.
     */
    async markRescored(now: Date): Promise<number> {
      const rows = await db
        .update(salesforceSync)
        .set({ state: 'pending', needsUpdate: true, nextAttemptAt: now, updatedAt: now })
        .where(
          and(
            eq(salesforceSync.state, 'synced'),
            sql`exists (select 1 from ${callScoresView} v where v.call_sid = ${salesforceSync.callSid} and v.scored_at > ${salesforceSync.syncedAt})`,
          ),
        )
        .returning({ callSid: salesforceSync.callSid });
      return rows.length;
    },

    async save(callSid: string, patch: SyncPatch): Promise<void> {
      await db.update(salesforceSync).set(patch).where(eq(salesforceSync.callSid, callSid));
    },

    async markMany(callSids: string[], patch: SyncPatch): Promise<void> {
      if (callSids.length === 0) return;
      await db.update(salesforceSync).set(patch).where(inArray(salesforceSync.callSid, callSids));
    },

    async statesOf(callSids: string[]): Promise<SyncRow[]> {
      if (callSids.length === 0) return [];
      return db.select().from(salesforceSync).where(inArray(salesforceSync.callSid, callSids));
    },

    /** Rows per state; `retrying` are pending rows that failed at least once. */
    async counts(): Promise<{ state: string; retrying: boolean; n: number }[]> {
      const rows = await db
        .select({
          state: salesforceSync.state,
          retrying: sql<boolean>`${salesforceSync.attempts} > 0`,
          n: sql<number>`count(*)::int`,
        })
        .from(salesforceSync)
        .groupBy(salesforceSync.state, sql`${salesforceSync.attempts} > 0`);
      return rows.map((r) => ({ ...r, n: Number(r.n) }));
    },

    async deadLetters(limit: number): Promise<SyncRow[]> {
      return db
        .select()
        .from(salesforceSync)
        .where(eq(salesforceSync.state, 'dead'))
        .orderBy(desc(salesforceSync.deadAt))
        .limit(limit);
    },

    /** Dead letters (all, or one call's) become pending again with a fresh count of attempts. */
    async retryDead(now: Date, callSid?: string): Promise<string[]> {
      const rows = await db
        .update(salesforceSync)
        .set({
          state: 'pending',
          attempts: 0,
          nextAttemptAt: now,
          claimedUntil: null,
          deadAt: null,
          updatedAt: now,
        })
        .where(
          callSid
            ? and(eq(salesforceSync.state, 'dead'), eq(salesforceSync.callSid, callSid))
            : eq(salesforceSync.state, 'dead'),
        )
        .returning({ callSid: salesforceSync.callSid });
      return rows.map((r) => r.callSid);
    },

    /** Each synced person's first synced call (the one an Opportunity is credited to). */
    async firstCallPerPerson(): Promise<Map<string, string>> {
      const rows = await db
        .selectDistinctOn([salesforceSync.whoId], {
          whoId: salesforceSync.whoId,
          callSid: salesforceSync.callSid,
        })
        .from(salesforceSync)
        .where(and(eq(salesforceSync.state, 'synced'), sql`${salesforceSync.whoId} is not null`))
        .orderBy(salesforceSync.whoId, salesforceSync.createdAt);
      return new Map(rows.map((r) => [r.whoId as string, r.callSid]));
    },

    async upsertOutcome(row: OutcomeRow): Promise<void> {
      const { opportunityId: _key, ...rest } = row;
      await db
        .insert(salesforceOutcomes)
        .values(row)
        .onConflictDoUpdate({ target: salesforceOutcomes.opportunityId, set: rest });
    },

    /** Deals and revenue per campaign, source or keyword of the calls that brought them. */
    async revenue(by: RevenueGroup) {
      const key = {
        campaign: salesforceOutcomes.campaignId,
        source: salesforceOutcomes.source,
        keyword: salesforceOutcomes.keyword,
      }[by];
      const rows = await db
        .select({
          key,
          deals: sql<number>`count(*)::int`,
          wonDeals: sql<number>`count(*) filter (where ${salesforceOutcomes.isWon})::int`,
          revenue: sql<number>`coalesce(sum(${salesforceOutcomes.amount}) filter (where ${salesforceOutcomes.isWon}), 0)::float8`,
          openPipeline: sql<number>`coalesce(sum(${salesforceOutcomes.amount}) filter (where not ${salesforceOutcomes.isClosed}), 0)::float8`,
        })
        .from(salesforceOutcomes)
        .groupBy(key)
        .orderBy(sql`4 desc`);
      return rows.map((r) => ({
        key: r.key,
        deals: Number(r.deals),
        wonDeals: Number(r.wonDeals),
        revenue: Number(r.revenue),
        openPipeline: Number(r.openPipeline),
      }));
    },

    /** Won revenue and deals per credited call (the call each Opportunity was credited to). */
    async wonRevenueByCall(): Promise<{ callSid: string; revenue: number; wonDeals: number }[]> {
      const rows = await db
        .select({
          callSid: salesforceOutcomes.callSid,
          revenue: sql<number>`coalesce(sum(${salesforceOutcomes.amount}), 0)::float8`,
          wonDeals: sql<number>`count(*)::int`,
        })
        .from(salesforceOutcomes)
        .where(eq(salesforceOutcomes.isWon, true))
        .groupBy(salesforceOutcomes.callSid);
      return rows.map((r) => ({
        callSid: r.callSid,
        revenue: Number(r.revenue),
        wonDeals: Number(r.wonDeals),
      }));
    },

    /** Which of these person+campaign pairs are members already. */
    async existingMembers(pairs: { whoId: string; sfCampaignId: string }[]): Promise<Set<string>> {
      if (pairs.length === 0) return new Set();
      const rows = await db
        .select({
          whoId: salesforceCampaignMembers.whoId,
          c: salesforceCampaignMembers.sfCampaignId,
        })
        .from(salesforceCampaignMembers)
        .where(inArray(salesforceCampaignMembers.whoId, [...new Set(pairs.map((p) => p.whoId))]));
      return new Set(rows.map((r) => memberKey(r.whoId, r.c)));
    },

    async addMember(row: typeof salesforceCampaignMembers.$inferInsert): Promise<void> {
      await db.insert(salesforceCampaignMembers).values(row).onConflictDoNothing();
    },

    /**
     * Privacy: these calls leave the sync. Rows not yet in Salesforce (pending, dead letters) are
     * deleted, so nothing more is sent; synced rows keep their Task id but lose the person's id
     * and any error text; campaign memberships recorded for them are removed.
     */
    async forgetCalls(callSids: string[]): Promise<number> {
      if (callSids.length === 0) return 0;
      const removed = await db
        .delete(salesforceSync)
        .where(
          and(
            inArray(salesforceSync.callSid, callSids),
            inArray(salesforceSync.state, ['pending', 'dead']),
          ),
        )
        .returning({ callSid: salesforceSync.callSid });
      const scrubbed = await db
        .update(salesforceSync)
        .set({ whoId: null, matchRule: null, lastError: null, lastErrorCode: null })
        .where(
          and(
            inArray(salesforceSync.callSid, callSids),
            sql`(${salesforceSync.whoId} is not null or ${salesforceSync.lastError} is not null)`,
          ),
        )
        .returning({ callSid: salesforceSync.callSid });
      const members = await db
        .delete(salesforceCampaignMembers)
        .where(inArray(salesforceCampaignMembers.callSid, callSids))
        .returning({ callSid: salesforceCampaignMembers.callSid });
      return removed.length + scrubbed.length + members.length;
    },
  };
}
export type SyncRepo = ReturnType<typeof createSyncRepo>;

export const memberKey = (whoId: string, sfCampaignId: string) => `${whoId}|${sfCampaignId}`;
