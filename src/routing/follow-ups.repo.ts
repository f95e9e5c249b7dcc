import { and, asc, eq, gte, inArray, isNull, lte, ne, sql } from 'drizzle-orm';
import { followUps } from '../../db/schema';
import type { DbOrTx } from '../shared/db';

export type FollowUpRow = typeof followUps.$inferSelect;
export type NewFollowUp = typeof followUps.$inferInsert;

/** follow_ups: missed calls until they are called back and closed; claims are atomic in SQL. */
export function createFollowUpsRepo(db: DbOrTx) {
  return {
    /** Creates the follow-up once; a repeated final status keeps the first. True when created. */
    async insert(row: NewFollowUp): Promise<boolean> {
      const created = await db
        .insert(followUps)
        .values(row)
        .onConflictDoNothing()
        .returning({ callSid: followUps.callSid });
      return created.length > 0;
    },
    async find(callSid: string): Promise<FollowUpRow | undefined> {
      const [row] = await db.select().from(followUps).where(eq(followUps.callSid, callSid));
      return row;
    },
    /** Not closed yet, oldest first (open and claimed: a claimed one is still to be done). */
    listPending: (limit: number): Promise<FollowUpRow[]> =>
      db
        .select()
        .from(followUps)
        .where(ne(followUps.state, 'closed'))
        .orderBy(asc(followUps.missedAt))
        .limit(limit),
    /** Claims an open follow-up for one agent; undefined when another agent (any node) was first. */
    async claim(callSid: string, agentId: string, at: Date): Promise<FollowUpRow | undefined> {
      const [row] = await db
        .update(followUps)
        .set({ state: 'claimed', claimedBy: agentId, claimedAt: at })
        .where(and(eq(followUps.callSid, callSid), eq(followUps.state, 'open')))
        .returning();
      return row;
    },
    /** Records a callback the claimant placed; the first attempt's time is kept. */
    async recordCallback(
      callSid: string,
      agentId: string,
      callbackCallSid: string,
      at: Date,
    ): Promise<FollowUpRow | undefined> {
      const [row] = await db
        .update(followUps)
        .set({
          callbackCallSid,
          firstCallbackAt: sql`coalesce(${followUps.firstCallbackAt}, ${at.toISOString()}::timestamptz)`,
          callbackResult: null,
          callbackResultAt: null,
        })
        .where(
          and(
            eq(followUps.callSid, callSid),
            eq(followUps.state, 'claimed'),
            eq(followUps.claimedBy, agentId),
          ),
        )
        .returning();
      return row;
    },
    /**
     * How a callback leg ended, recorded once: only for the follow-up's latest leg (not an
     * earlier attempt's late callback) and not again for Twilio's retry of the same callback.
     */
    async recordCallbackResult(
      callSid: string,
      callbackCallSid: string,
      result: NonNullable<FollowUpRow['callbackResult']>,
      at: Date,
    ): Promise<FollowUpRow | undefined> {
      const [row] = await db
        .update(followUps)
        .set({ callbackResult: result, callbackResultAt: at })
        .where(
          and(
            eq(followUps.callSid, callSid),
            eq(followUps.callbackCallSid, callbackCallSid),
            isNull(followUps.callbackResult),
          ),
        )
        .returning();
      return row;
    },
    async close(
      callSid: string,
      agentId: string,
      outcome: string,
      at: Date,
    ): Promise<FollowUpRow | undefined> {
      const [row] = await db
        .update(followUps)
        .set({ state: 'closed', outcome, closedAt: at })
        .where(
          and(
            eq(followUps.callSid, callSid),
            eq(followUps.state, 'claimed'),
            eq(followUps.claimedBy, agentId),
          ),
        )
        .returning();
      return row;
    },
    /** Follow-ups of calls missed in [since, until], for the report. */
    missedBetween: (since: Date, until: Date): Promise<FollowUpRow[]> =>
      db
        .select()
        .from(followUps)
        .where(and(gte(followUps.missedAt, since), lte(followUps.missedAt, until))),
    /** The follow-ups of some calls. */
    findMany: (callSids: string[]): Promise<FollowUpRow[]> =>
      callSids.length === 0
        ? Promise.resolve([])
        : db.select().from(followUps).where(inArray(followUps.callSid, callSids)),
  };
}
export type FollowUpsRepo = ReturnType<typeof createFollowUpsRepo>;
