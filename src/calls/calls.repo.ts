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

type CallKey = keyof typeof callColumns;
type EventKey = keyof typeof eventColumns;

const callColumns = getTableColumns(calls);
const eventColumns = getTableColumns(callEvents);

/** Every column a call's first event sets; the rest keep their defaults. */
const FIRST_CALL_KEYS: CallKey[] = [
  'callSid',
  'accountSid',
  'direction',
  'fromNumber',
  'toNumber',
  'trackingNumberId',
  'siteId',
  'campaignId',
  'sessionId',
  'visitorId',
  'attribution',
  'attributionCandidates',
  'source',
  'medium',
  'utmCampaign',
  'keyword',
  'landingUrl',
  'landingPath',
  'referrer',
  'gclid',
  'fbclid',
  'msclkid',
  'device',
  'callerName',
  'callerCity',
  'callerState',
  'callerZip',
  'callerCountry',
  'status',
  'outcome',
  'statusRank',
  'lastSequence',
  'startedAt',
  'answeredAt',
  'endedAt',
  'ringSeconds',
  'durationSeconds',
  'talkSeconds',
  'dialStatus',
  'answeredBy',
  'recordingUrl',
  'recordingSid',
  'recordingSeconds',
  'firstTime',
  'previousCalls',
  'spam',
];
const EVENT_KEYS: EventKey[] = [
  'callSid',
  'rootCallSid',
  'kind',
  'status',
  'sequenceNumber',
  'twilioTimestamp',
  'dedupeKey',
  'params',
  'receivedAt',
];
/** Values for NOT NULL columns a new call may leave unset. */
const CALL_DEFAULTS: Partial<NewCall> = { attribution: 'none', previousCalls: 0, spam: false };

const placeholders = (cols: PgColumn[], offset: number) =>
  cols.map((c, i) => `$${i + 1 + offset}::${c.getSQLType()}`).join(', ');
const names = (cols: PgColumn[]) => cols.map((c) => `"${c.name}"`).join(', ');
const encode = (col: PgColumn, value: unknown) =>
  value === undefined || value === null ? null : col.mapToDriverValue(value);

const firstEventCols = EVENT_KEYS.map((k) => eventColumns[k] as PgColumn);
const firstCallCols = FIRST_CALL_KEYS.map((k) => callColumns[k] as PgColumn);
/**
 * Fixed text, so the driver prepares it once: a call's first event and its row in one statement.
 * Built from the drizzle schema, so it follows the columns' names and types.
 */
const FIRST_EVENT_SQL = `
  with ev as (
    insert into call_events (${names(firstEventCols)}) values (${placeholders(firstEventCols, 0)})
    on conflict (dedupe_key) do nothing
    returning id
  ), c as (
    insert into calls (${names(firstCallCols)})
    select ${placeholders(firstCallCols, firstEventCols.length)} where exists (select 1 from ev)
    on conflict (call_sid) do nothing
    returning call_sid
  )
  select (select count(*) from ev)::int as events, (select count(*) from c)::int as calls`;

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
      const row: Record<string, unknown> = { ...CALL_DEFAULTS, ...call };
      const params = [
        ...EVENT_KEYS.map((k, i) =>
          encode(firstEventCols[i] as PgColumn, event[k as keyof NewCallEvent]),
        ),
        ...FIRST_CALL_KEYS.map((k, i) => encode(firstCallCols[i] as PgColumn, row[k])),
      ];
      const [result] = await database.query<{ events: number; calls: number }>(
        FIRST_EVENT_SQL,
        params,
      );
      return { event: (result?.events ?? 0) > 0, call: (result?.calls ?? 0) > 0 };
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
