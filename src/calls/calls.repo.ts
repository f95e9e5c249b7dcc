import {
  and,
  asc,
  desc,
  eq,
  getTableColumns,
  gte,
  inArray,
  isNull,
  lt,
  or,
  param,
  sql,
  type SQL,
} from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
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

/** `(col, …) values (…)` for the keys set in `row`, each value encoded as its column expects. */
function columnsAndValues<T extends Record<string, PgColumn>>(
  columns: T,
  row: Record<string, unknown>,
) {
  const set = Object.entries(row).filter(([k, v]) => v !== undefined && k in columns);
  const cols = set.map(([k]) => sql.identifier((columns[k] as PgColumn).name));
  const vals = set.map(([k, v]) => sql`${param(v, columns[k] as PgColumn)}`);
  return { cols: sql.join(cols, sql`, `), vals: sql.join(vals, sql`, `) };
}

const callColumns = getTableColumns(calls);
const eventColumns = getTableColumns(callEvents);

/** Calls and their webhook events. Writes happen inside the caller's transaction. */
export function createCallsRepo(database: Database) {
  const { db } = database;

  return {
    /**
     * A call's first event and its row, in one statement (one round trip, one commit). Reports
     * whether the event was new and whether the call row was created by it; when the row existed
     * already the caller must fold the call again.
     */
    async insertFirstEvent(
      event: NewCallEvent,
      call: NewCall,
    ): Promise<{ event: boolean; call: boolean }> {
      const e = columnsAndValues(eventColumns, event);
      const c = columnsAndValues(callColumns, call);
      const [row] = await database.rows<{ events: number; calls: number }>(sql`
        with ev as (
          insert into call_events (${e.cols}) values (${e.vals})
          on conflict (dedupe_key) do nothing
          returning id
        ), c as (
          insert into calls (${c.cols}) select ${c.vals} where exists (select 1 from ev)
          on conflict (call_sid) do nothing
          returning call_sid
        )
        select (select count(*) from ev)::int as events, (select count(*) from c)::int as calls
      `);
      return { event: (row?.events ?? 0) > 0, call: (row?.calls ?? 0) > 0 };
    },

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
