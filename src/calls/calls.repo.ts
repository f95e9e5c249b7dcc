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
import { CALL_VISIT_FILLS, callVisitFrom } from '../numbers/call-visit.sql';
import type { Database, Tx } from '../shared/db';
import type { StoredEvent } from './call-state';
import { CALLER_PARAMS } from './caller-params';

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
 * A caller's earlier calls: all of them, and those since the repeat window began. The arguments
 * are the placeholders ($n) that the statement using it binds to the caller, the call's start and
 * the window's start.
 */
const callerHistorySql = (from: string, before: string, windowStart: string) => `
  select count(*)::int as total,
         count(*) filter (where started_at >= ${windowStart}::timestamptz)::int as recent
  from calls
  where from_number = ${from} and parent_call_sid is null and spam = false
    and started_at < ${before}::timestamptz`;

const CALLER_HISTORY_SQL = callerHistorySql('$1', '$2', '$3');

/**
 * The placeholders after the event's and the call's: whether to read the caller's history, and
 * for whom; whether to attribute the call to a visit (leadline_call_visit, the numbers feature's),
 * and for which number, moment and grace period.
 */
const AFTER_ROW = firstEventCols.length + firstCallCols.length;
const readHistory = `$${AFTER_ROW + 1}`;
const historyFrom = `$${AFTER_ROW + 2}`;
const historyBefore = `$${AFTER_ROW + 3}`;
const historyWindow = `$${AFTER_ROW + 4}`;
const readVisit = `$${AFTER_ROW + 5}`;
const visitNumber = `$${AFTER_ROW + 6}`;
const visitAt = `$${AFTER_ROW + 7}`;
const visitGrace = `$${AFTER_ROW + 8}`;
const visitFills: Record<string, string> = CALL_VISIT_FILLS;
/**
 * When history is read, the call's first-time flag and previous-call count come from `h`; when
 * the call is attributed, its visit columns come from `v` (its site stays the number's when no
 * visit is found).
 */
const firstCallValues = firstCallCols.map((c, i) => {
  const p = `$${i + 1 + firstEventCols.length}::${c.getSQLType()}`;
  if (c.name === 'first_time')
    return `case when ${readHistory}::boolean then (select recent = 0 from h) else ${p} end`;
  if (c.name === 'previous_calls')
    return `case when ${readHistory}::boolean then (select total from h) else ${p} end`;
  const fill = visitFills[c.name];
  if (fill === 'site_id') return `coalesce((select site_id from v), ${p})`;
  if (fill) return `case when ${readVisit}::boolean then (select ${fill} from v) else ${p} end`;
  return p;
});
/**
 * Fixed text, so the driver prepares it once: a call's first event and its row in one statement,
 * with the caller's history and the call's visit read by the same statement when asked. Built
 * from the drizzle schema, so it follows the columns' names and types.
 */
const FIRST_EVENT_SQL = `
  with h as (${callerHistorySql(historyFrom, historyBefore, historyWindow)}
    and ${readHistory}::boolean
  ), v as (
    select * from ${callVisitFrom(visitNumber, visitAt, visitGrace)} where ${readVisit}::boolean
  ), ev as (
    insert into call_events (${names(firstEventCols)}) values (${placeholders(firstEventCols, 0)})
    on conflict (dedupe_key) do nothing
    returning id
  ), c as (
    insert into calls (${names(firstCallCols)})
    select ${firstCallValues.join(', ')} where exists (select 1 from ev)
    on conflict (call_sid) do nothing
    returning call_sid
  )
  select (select count(*) from ev)::int as events, (select count(*) from c)::int as calls`;

/** Which visit a new call's row is attributed to, worked out by the insert (see callVisitFrom). */
export interface CallVisitQuery {
  numberId: string;
  at: Date;
  graceSeconds: number;
}

/** Whose history a new call's row is given, and over which window (see callerHistory). */
export interface CallerHistoryQuery {
  fromNumber: string;
  before: Date;
  windowStart: Date;
}

/** What the attribution report may group calls by. */
export type AttributionGroup =
  'campaign' | 'source' | 'medium' | 'keyword' | 'landingPage' | 'state';
/** Fixed column names per group (never user text in SQL). */
const ATTRIBUTION_COLUMNS: Record<AttributionGroup, string> = {
  campaign: 'campaign_id',
  source: 'source',
  medium: 'medium',
  keyword: 'keyword',
  landingPage: 'landing_path',
  state: 'caller_state',
};
export interface AttributionTotalsRow {
  key: string | null;
  calls: number;
  answered: number;
  qualified: number;
  firstTime: number;
  revenue: number;
  wonDeals: number;
}

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
      /** Work out the caller's history (first time? calls before?) in the same statement. */
      history?: CallerHistoryQuery,
      /** Attribute the call to a visit in the same statement. */
      visit?: CallVisitQuery,
    ): Promise<{ event: boolean; call: boolean }> {
      const row: Record<string, unknown> = { ...CALL_DEFAULTS, ...call };
      const params = [
        ...EVENT_KEYS.map((k, i) =>
          encode(firstEventCols[i] as PgColumn, event[k as keyof NewCallEvent]),
        ),
        ...FIRST_CALL_KEYS.map((k, i) => encode(firstCallCols[i] as PgColumn, row[k])),
        history !== undefined,
        history?.fromNumber ?? null,
        (history?.before ?? new Date(0)).toISOString(),
        (history?.windowStart ?? new Date(0)).toISOString(),
        visit !== undefined,
        visit?.numberId ?? null,
        (visit?.at ?? new Date(0)).toISOString(),
        visit?.graceSeconds ?? 0,
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

    /** Who called, from where, and how it ended, for several calls in one narrow read. */
    callersOf: (callSids: string[]) =>
      callSids.length === 0
        ? Promise.resolve([])
        : db
            .select({
              callSid: calls.callSid,
              fromNumber: calls.fromNumber,
              toNumber: calls.toNumber,
              outcome: calls.outcome,
              endedAt: calls.endedAt,
              callerCity: calls.callerCity,
              callerState: calls.callerState,
              campaignId: calls.campaignId,
            })
            .from(calls)
            .where(inArray(calls.callSid, callSids)),

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
      // Read for every incoming call: a prepared statement, not a query built per call.
      const [row] = await database.query<{ total: number; recent: number }>(CALLER_HISTORY_SQL, [
        fromNumber,
        before.toISOString(),
        windowStart.toISOString(),
      ]);
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

    /**
     * Calls (parent legs) started in [since, until) per group, with answered, qualified (scoring's
     * view `call_scores_v`) and first-time counts, plus the revenue and won deals the caller passes
     * per call sid (credited calls outside the window or the group do not count).
     */
    async attributionTotals(
      groupBy: AttributionGroup,
      window: { since: Date; until: Date },
      credited: { callSid: string; revenue: number; wonDeals: number }[],
    ): Promise<AttributionTotalsRow[]> {
      const key = sql.raw(`c.${ATTRIBUTION_COLUMNS[groupBy]}`);
      const rows = await database.rows<AttributionTotalsRow>(sql`
        with credited as (
          select * from jsonb_to_recordset(${JSON.stringify(credited)}::jsonb)
            as t("callSid" text, revenue float8, "wonDeals" int)
        )
        select ${key}::text as key,
               count(*)::int as calls,
               count(*) filter (where c.outcome = 'answered')::int as answered,
               count(*) filter (where s.qualified)::int as qualified,
               count(*) filter (where c.first_time)::int as "firstTime",
               coalesce(sum(cr.revenue), 0)::float8 as revenue,
               coalesce(sum(cr."wonDeals"), 0)::int as "wonDeals"
        from calls c
        left join call_scores_v s on s.call_sid = c.call_sid
        left join credited cr on cr."callSid" = c.call_sid
        where c.parent_call_sid is null
          and c.started_at >= ${window.since.toISOString()}::timestamptz
          and c.started_at < ${window.until.toISOString()}::timestamptz
        group by 1
        order by calls desc, key asc nulls last
      `);
      return rows.map((r) => ({
        key: r.key,
        calls: Number(r.calls),
        answered: Number(r.answered),
        qualified: Number(r.qualified),
        firstTime: Number(r.firstTime),
        revenue: Number(r.revenue),
        wonDeals: Number(r.wonDeals),
      }));
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

    /**
     * Privacy (erasure and retention): removes the personal data of some calls, their child legs
     * and the copies inside their stored webhook events, keeping campaign attribution, status,
     * durations and the dedupe keys. `linked` sees the calls and their sessions first, so other
     * features erase theirs before these rows stop matching; a failure leaves the calls to be
     * found again. `recordingsOnly` drops only recordings.
     */
    async forgetCallerData(
      scope: { caller: string } | { startedBefore: Date; limit: number; recordingsOnly?: boolean },
      linked: (found: { callSids: string[]; sessionIds: string[] }) => Promise<void>,
    ): Promise<{ callSids: string[]; calls: number; events: number }> {
      const recordingsOnly = 'startedBefore' in scope && scope.recordingsOnly === true;
      const personal = or(
        sql`${calls.fromNumber} is not null`,
        sql`${calls.callerName} is not null`,
        sql`${calls.callerCity} is not null`,
        sql`${calls.callerZip} is not null`,
        sql`${calls.visitorId} is not null`,
        sql`${calls.recordingUrl} is not null`,
      );
      const match =
        'caller' in scope
          ? or(eq(calls.fromNumber, scope.caller), eq(calls.toNumber, scope.caller))
          : and(
              lt(calls.startedAt, scope.startedBefore),
              isNull(calls.parentCallSid),
              recordingsOnly
                ? or(sql`${calls.recordingUrl} is not null`, sql`${calls.recordingSid} is not null`)
                : personal,
            );
      const roots = await db
        .select({ callSid: calls.callSid })
        .from(calls)
        .where(match)
        .orderBy(asc(calls.startedAt))
        .limit('caller' in scope ? 100_000 : scope.limit);
      // Events that name the caller but whose call row is missing (or is another call's leg).
      const orphanSids =
        'caller' in scope
          ? await database.rows<{ call_sid: string }>(sql`
              select distinct call_sid from call_events
               where params->>'From' = ${scope.caller} or params->>'Caller' = ${scope.caller}`)
          : [];
      const rootSids = [
        ...new Set([...roots.map((r) => r.callSid), ...orphanSids.map((r) => r.call_sid)]),
      ];
      if (rootSids.length === 0) return { callSids: [], calls: 0, events: 0 };
      const legs = await db
        .select({ callSid: calls.callSid })
        .from(calls)
        .where(inArray(calls.parentCallSid, rootSids));
      const callSids = [...new Set([...rootSids, ...legs.map((l) => l.callSid)])];
      const sessions = await db
        .selectDistinct({ sessionId: calls.sessionId })
        .from(calls)
        .where(and(inArray(calls.callSid, callSids), sql`${calls.sessionId} is not null`));
      if (!recordingsOnly) {
        await linked({ callSids, sessionIds: sessions.flatMap((s) => s.sessionId ?? []) });
      }

      const recording = { recordingUrl: null, recordingSid: null };
      const updated = await db
        .update(calls)
        .set(
          recordingsOnly
            ? { ...recording, updatedAt: new Date() }
            : {
                ...recording,
                fromNumber: null,
                callerName: null,
                callerCity: null,
                callerState: null,
                callerZip: null,
                callerCountry: null,
                visitorId: null,
                landingUrl: null,
                referrer: null,
                gclid: null,
                fbclid: null,
                msclkid: null,
                ...('caller' in scope
                  ? {
                      toNumber: sql`case when ${calls.toNumber} = ${scope.caller} then null else ${calls.toNumber} end`,
                    }
                  : {}),
                updatedAt: new Date(),
              },
        )
        .where(inArray(calls.callSid, callSids))
        .returning({ callSid: calls.callSid });

      const keys = recordingsOnly ? RECORDING_PARAMS : [...CALLER_PARAMS, ...RECORDING_PARAMS];
      const keysJson = JSON.stringify(keys);
      const sidsJson = JSON.stringify(callSids);
      const value = 'caller' in scope ? scope.caller : null;
      const events = await database.rows<{ id: number }>(sql`
        update call_events e
           set params = coalesce(
                 (select jsonb_object_agg(p.key, p.value) from jsonb_each(e.params) p
                   where not (${keysJson}::jsonb ? p.key)
                     and p.value is distinct from to_jsonb(${value}::text)),
                 '{}'::jsonb)
         where (e.call_sid in (select jsonb_array_elements_text(${sidsJson}::jsonb))
                or e.root_call_sid in (select jsonb_array_elements_text(${sidsJson}::jsonb)))
           and exists (select 1 from jsonb_each(e.params) p
                        where ${keysJson}::jsonb ? p.key
                           or p.value = to_jsonb(${value}::text))
        returning e.id`);
      return { callSids, calls: updated.length, events: events.length };
    },
  };
}
export type CallsRepo = ReturnType<typeof createCallsRepo>;

/** Where a call's recording can be fetched from. */
const RECORDING_PARAMS = ['RecordingUrl', 'RecordingSid'];
