import { and, asc, desc, eq, gte, inArray, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import { blockedNumbers, callEvents, calls } from '../../db/schema';
import type { Database, Tx } from '../shared/db';
import type { StoredEvent } from './call-state';

export type CallRow = typeof calls.$inferSelect;
export type NewCall = typeof calls.$inferInsert;
export type NewCallEvent = typeof callEvents.$inferInsert;

export interface CallFilter {
  campaignId?: string;
  since?: Date;
  until?: Date;
  status?: string;
  outcome?: string;
  attribution?: string;
  cursor?: { startedAt: Date; callSid: string };
  limit: number;
}

/** Calls and their webhook events. Writes happen inside the caller's transaction. */
export function createCallsRepo(database: Database) {
  const { db } = database;

  return {
    transaction: <T>(fn: (tx: Tx) => Promise<T>) => db.transaction(fn),

    /** Stores an event unless an identical one (a Twilio retry) was stored before. */
    async insertEvent(tx: Tx, row: NewCallEvent): Promise<boolean> {
      const inserted = await tx
        .insert(callEvents)
        .values(row)
        .onConflictDoNothing({ target: callEvents.dedupeKey })
        .returning({ id: callEvents.id });
      return inserted.length > 0;
    },

    /** Creates the call row if it is new; existing rows are left alone. */
    async ensureCall(tx: Tx, row: NewCall): Promise<boolean> {
      const inserted = await tx
        .insert(calls)
        .values(row)
        .onConflictDoNothing({ target: calls.callSid })
        .returning({ sid: calls.callSid });
      return inserted.length > 0;
    },

    /** Locks the call row, so concurrent webhooks for one call fold one after another. */
    async lockCall(tx: Tx, callSid: string): Promise<CallRow | undefined> {
      const [row] = await tx.select().from(calls).where(eq(calls.callSid, callSid)).for('update');
      return row;
    },

    async eventsForRoot(tx: Tx, rootCallSid: string): Promise<StoredEvent[]> {
      const rows = await tx
        .select()
        .from(callEvents)
        .where(eq(callEvents.rootCallSid, rootCallSid))
        .orderBy(asc(callEvents.id));
      return rows;
    },

    async updateCall(tx: Tx, callSid: string, patch: Partial<NewCall>): Promise<void> {
      await tx
        .update(calls)
        .set({ ...patch, updatedAt: new Date() })
        .where(eq(calls.callSid, callSid));
    },

    async findCall(callSid: string): Promise<CallRow | undefined> {
      const [row] = await db.select().from(calls).where(eq(calls.callSid, callSid));
      return row;
    },

    async childLegs(callSid: string): Promise<CallRow[]> {
      return db
        .select()
        .from(calls)
        .where(eq(calls.parentCallSid, callSid))
        .orderBy(asc(calls.startedAt));
    },

    async eventsOf(callSids: string[]) {
      if (callSids.length === 0) return [];
      return db
        .select()
        .from(callEvents)
        .where(inArray(callEvents.callSid, callSids))
        .orderBy(asc(callEvents.receivedAt), asc(callEvents.id));
    },

    /** Parent calls from one number that started before `before` (for first-time/repeat). */
    async callerHistory(fromNumber: string, before: Date, windowStart: Date) {
      const [row] = await database.rows<{ total: number; recent: number }>(sql`
        select count(*)::int as total,
               count(*) filter (where started_at >= ${windowStart.toISOString()}::timestamptz)::int as recent
        from calls
        where from_number = ${fromNumber} and parent_call_sid is null and spam = false
          and started_at < ${before.toISOString()}::timestamptz
      `);
      return row ?? { total: 0, recent: 0 };
    },

    async listCalls(f: CallFilter): Promise<CallRow[]> {
      const where: SQL[] = [isNull(calls.parentCallSid)];
      if (f.campaignId) where.push(eq(calls.campaignId, f.campaignId));
      if (f.since) where.push(gte(calls.startedAt, f.since));
      if (f.until) where.push(lt(calls.startedAt, f.until));
      if (f.status) where.push(eq(calls.status, f.status));
      if (f.outcome) where.push(eq(calls.outcome, f.outcome));
      if (f.attribution) where.push(eq(calls.attribution, f.attribution as CallRow['attribution']));
      if (f.cursor) {
        const c = or(
          lt(calls.startedAt, f.cursor.startedAt),
          and(eq(calls.startedAt, f.cursor.startedAt), lt(calls.callSid, f.cursor.callSid)),
        );
        if (c) where.push(c);
      }
      return db
        .select()
        .from(calls)
        .where(and(...where))
        .orderBy(desc(calls.startedAt), desc(calls.callSid))
        .limit(f.limit);
    },

    async listBlocked() {
      return db.select().from(blockedNumbers).orderBy(asc(blockedNumbers.pattern));
    },
    async addBlocked(pattern: string, reason: string | null) {
      const [row] = await db
        .insert(blockedNumbers)
        .values({ pattern, reason })
        .onConflictDoUpdate({ target: blockedNumbers.pattern, set: { reason } })
        .returning();
      return row;
    },
    async removeBlocked(id: string): Promise<boolean> {
      const rows = await db.delete(blockedNumbers).where(eq(blockedNumbers.id, id)).returning();
      return rows.length > 0;
    },
  };
}
export type CallsRepo = ReturnType<typeof createCallsRepo>;
