import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { trackingNumbers, type AttributionConfidence } from '../../db/schema';
import { createBatcher } from '../shared/batcher';
import type { Database, DbOrTx } from '../shared/db';
import { CALL_VISIT_COLUMNS, callVisitFrom } from './call-visit.sql';

export type TrackingNumberRow = typeof trackingNumbers.$inferSelect;
type NewNumber = typeof trackingNumbers.$inferInsert;

/** Explicit casts: parameters in a SELECT list have no type for Postgres to infer. */
const ts = (d: Date) => sql`${d.toISOString()}::timestamptz`;
const uid = (id: string) => sql`${id}::uuid`;

/** What a DNI step answers, as SessionTouch names it. */
const SESSION_TOUCH_COLUMNS = `session_id as "sessionId", visitor_id as "visitorId",
  campaign_id as "campaignId", hold_seconds as "holdSeconds", number_id as "numberId", e164,
  shared, expires_at as "expiresAt", exhausted, renewed`;

/** The DNI step (leadline_dni_session, migration 0016): renew, lease or share, in one statement. */
const DNI_SESSION_SQL = `
  select ${SESSION_TOUCH_COLUMNS}
  from leadline_dni_session($1::uuid, $2::uuid, $3::text, $4::boolean, $5::int,
    $6::timestamptz, $7::jsonb)`;

/** Several visitors' DNI steps in one statement (migration 0017); `idx` is each one's position. */
const DNI_SESSIONS_SQL = `select idx, ${SESSION_TOUCH_COLUMNS} from leadline_dni_sessions($1::jsonb)`;

/** What one DNI step is given (leadline_dni_session's arguments). */
export interface TouchSessionArgs {
  siteId: string;
  campaignId: string;
  visitorId: string | null;
  newVisitorId: string;
  newVisit: boolean;
  maxHoldSeconds: number;
  now: Date;
  visit: VisitColumns;
}

/** The visit a call on a number belongs to (leadline_call_visit, migration 0018). */
const CALL_VISIT_SQL = `select ${CALL_VISIT_COLUMNS} from ${callVisitFrom('$1', '$2', '$3')}`;

/** Which visit placed a call, and how sure that is (see leadline_call_visit's rule). */
export interface CallVisit {
  confidence: AttributionConfidence;
  /** Every visit that could have placed the call, when more than one could. */
  candidates: string[] | null;
  sessionId: string | null;
  visitorId: string | null;
  siteId: string | null;
  landingUrl: string | null;
  landingPath: string | null;
  referrer: string | null;
  source: string | null;
  medium: string | null;
  utmCampaign: string | null;
  utmTerm: string | null;
  gclid: string | null;
  fbclid: string | null;
  msclkid: string | null;
  device: string | null;
}

/** Visit fields stored on a new session (camelCase keys; read by the SQL function). */
export interface VisitColumns {
  landingUrl: string;
  landingPath: string | null;
  referrer: string | null;
  referrerDomain: string | null;
  source: string | null;
  medium: string | null;
  utmCampaign: string | null;
  utmTerm: string | null;
  utmContent: string | null;
  gclid: string | null;
  fbclid: string | null;
  msclkid: string | null;
  device: string | null;
  userAgent: string | null;
  /** Where the visitor's IP address is (see geo/ip-location.ts's coarse); never the address. */
  ipCity?: string | null;
  ipRegion?: string | null;
  ipCountry?: string | null;
  ipLat?: number | null;
  ipLon?: number | null;
}

export interface SessionTouch {
  sessionId: string;
  visitorId: string;
  campaignId: string;
  holdSeconds: number;
  numberId: string | null;
  e164: string | null;
  shared: boolean;
  expiresAt: Date;
  exhausted: boolean;
  renewed: boolean;
}

/** A renewal a node answered from memory, waiting to be written. */
export interface LeaseExtension {
  sessionId: string;
  numberId: string;
  shared: boolean;
  expiresAt: Date;
  seenAt: Date;
}

export interface LeasedNumber {
  id: string;
  e164: string;
}

/** Tracking numbers, visitor sessions and the lease history; leasing is one SQL statement. */
export function createNumbersRepo(database: Database) {
  const { db } = database;
  /** Pool exhaustions this process has seen, per campaign: counted in memory, no extra query. */
  const exhaustions = new Map<string, number>();

  const touched = (row: SessionTouch): SessionTouch => {
    if (row.exhausted) exhaustions.set(row.campaignId, (exhaustions.get(row.campaignId) ?? 0) + 1);
    return { ...row, expiresAt: new Date(row.expiresAt) };
  };
  const sessionRequest = (args: TouchSessionArgs) => ({
    site: args.siteId,
    campaign: args.campaignId,
    visitor: args.visitorId,
    newVisit: args.newVisit,
    maxHold: args.maxHoldSeconds,
    now: args.now.toISOString(),
    visit: { ...args.visit, newVisitorId: args.newVisitorId },
  });
  // DNI steps that arrive while one is in flight go together (see shared/batcher.ts).
  const sessionBatches = createBatcher<TouchSessionArgs, SessionTouch>({
    maxBatch: 32,
    maxInFlight: 2,
    async runOne(args) {
      const r = sessionRequest(args);
      const [row] = await database.query<SessionTouch>(DNI_SESSION_SQL, [
        r.site,
        r.campaign,
        r.visitor,
        r.newVisit,
        r.maxHold,
        r.now,
        JSON.stringify(r.visit),
      ]);
      if (!row) throw new Error('leadline_dni_session returned no row');
      return touched(row);
    },
    async runMany(batch) {
      const rows = await database.query<SessionTouch & { idx: number }>(DNI_SESSIONS_SQL, [
        JSON.stringify(batch.map(sessionRequest)),
      ]);
      const answers: SessionTouch[] = [];
      for (const { idx, ...row } of rows) answers[idx] = touched(row);
      return answers;
    },
  });

  return {
    async insertNumber(row: NewNumber, ex: DbOrTx = db): Promise<TrackingNumberRow> {
      const [created] = await ex.insert(trackingNumbers).values(row).returning();
      if (!created) throw new Error('tracking number insert returned nothing');
      return created;
    },
    async findNumber(id: string): Promise<TrackingNumberRow | undefined> {
      const [row] = await db.select().from(trackingNumbers).where(eq(trackingNumbers.id, id));
      return row;
    },
    async findActiveByE164(e164: string): Promise<TrackingNumberRow | undefined> {
      const [row] = await db
        .select()
        .from(trackingNumbers)
        .where(and(eq(trackingNumbers.e164, e164), eq(trackingNumbers.status, 'active')));
      return row;
    },
    async listNumbers(campaignId: string): Promise<TrackingNumberRow[]> {
      return db
        .select()
        .from(trackingNumbers)
        .where(
          and(eq(trackingNumbers.campaignId, campaignId), eq(trackingNumbers.status, 'active')),
        )
        .orderBy(asc(trackingNumbers.provisionedAt));
    },
    /**
     * Of these E.164 numbers, the ones Leadline must not buy: active already, or released by
     * Leadline within the quarantine period.
     */
    async unavailable(
      e164s: string[],
      now: Date,
    ): Promise<{ active: Set<string>; quarantined: Set<string> }> {
      const active = new Set<string>();
      const quarantined = new Set<string>();
      if (e164s.length === 0) return { active, quarantined };
      const rows = await db
        .select({
          e164: trackingNumbers.e164,
          status: trackingNumbers.status,
          until: trackingNumbers.quarantineUntil,
        })
        .from(trackingNumbers)
        .where(inArray(trackingNumbers.e164, e164s));
      for (const r of rows) {
        if (r.status === 'active') active.add(r.e164);
        else if (r.until && r.until > now) quarantined.add(r.e164);
      }
      return { active, quarantined };
    },
    async markReleased(id: string, now: Date, quarantineUntil: Date): Promise<void> {
      await db
        .update(trackingNumbers)
        .set({
          status: 'released',
          releasedAt: now,
          quarantineUntil,
          leaseSessionId: null,
          leaseExpiresAt: null,
        })
        .where(eq(trackingNumbers.id, id));
    },

    /**
     * The whole DNI step in one round trip and one commit (leadline_dni_session): renew the
     * visitor's live session, or start one and lease the number idle longest, or share one when
     * exhausted. Steps that arrive together share the round trip and the commit.
     */
    touchSession: (args: TouchSessionArgs): Promise<SessionTouch> => sessionBatches.submit(args),

    /**
     * Applies renewals answered from a node's memory, in one statement (migration 0009's
     * leadline_dni_extend); answers the sessions whose lease was still theirs and is now extended.
     */
    async extendLeases(batch: LeaseExtension[], now: Date): Promise<Set<string>> {
      if (batch.length === 0) return new Set();
      const list = (values: string[], type: string) =>
        sql`${`{${values.join(',')}}`}::${sql.raw(type)}`;
      const rows = await database.rows<{ sessionId: string }>(sql`
        select s as "sessionId" from leadline_dni_extend(${ts(now)},
          ${list(
            batch.map((b) => b.sessionId),
            'uuid[]',
          )}, ${list(
            batch.map((b) => b.numberId),
            'uuid[]',
          )}, ${list(
            batch.map((b) => String(b.shared)),
            'boolean[]',
          )}, ${list(
            batch.map((b) => b.expiresAt.toISOString()),
            'timestamptz[]',
          )}, ${list(
            batch.map((b) => b.seenAt.toISOString()),
            'timestamptz[]',
          )}) as s
      `);
      return new Set(rows.map((r) => r.sessionId));
    },

    async sourceNumber(campaignId: string): Promise<LeasedNumber | undefined> {
      const [row] = await db
        .select({ id: trackingNumbers.id, e164: trackingNumbers.e164 })
        .from(trackingNumbers)
        .where(
          and(
            eq(trackingNumbers.campaignId, campaignId),
            eq(trackingNumbers.kind, 'source'),
            eq(trackingNumbers.status, 'active'),
          ),
        )
        .limit(1);
      return row;
    },

    async poolCounts(campaignId: string, now: Date) {
      const [row] = await database.rows<{ size: number; leased: number }>(sql`
        select count(*)::int as size,
               count(*) filter (where lease_expires_at > ${ts(now)})::int as leased
        from tracking_numbers
        where campaign_id = ${uid(campaignId)} and kind = 'pool' and status = 'active'
      `);
      return row ?? { size: 0, leased: 0 };
    },

    /** Every campaign's pool size and numbers leased now (exclusive or shared), in one query. */
    async poolUse(now: Date): Promise<{ campaignId: string; size: number; leased: number }[]> {
      return database.rows<{ campaignId: string; size: number; leased: number }>(sql`
        select campaign_id as "campaignId", count(*)::int as size,
               count(*) filter (where lease_expires_at > ${ts(now)})::int as leased
        from tracking_numbers
        where kind = 'pool' and status = 'active'
        group by campaign_id
      `);
    },

    /** Pool exhaustions (a visitor given a shared or source number) seen by this process. */
    exhaustionsSeen: (): Map<string, number> => new Map(exhaustions),

    async exhaustionCount(
      campaignId: string,
      since: Date,
    ): Promise<{ total: number; last: Date | null }> {
      const [row] = await database.rows<{ total: number; last: Date | string | null }>(sql`
        select count(*)::int as total, max(occurred_at) as last from pool_exhaustion_events
        where campaign_id = ${uid(campaignId)} and occurred_at >= ${ts(since)}
      `);
      const last = row?.last ? new Date(row.last) : null;
      return { total: row?.total ?? 0, last };
    },

    /**
     * Peak number of overlapping leases (shared ones too: they are demand) per hour since `since`.
     * Ends sort before starts at the same instant, so back-to-back leases do not count as overlap.
     */
    async peakConcurrentByHour(campaignId: string, since: Date, now: Date) {
      const rows = await database.rows<{ hour: Date | string; peak: number }>(sql`
        with ev as (
          select started_at as t, 1 as d from number_leases
            where campaign_id = ${uid(campaignId)} and expires_at > ${ts(since)} and started_at <= ${ts(now)}
          union all
          select expires_at, -1 from number_leases
            where campaign_id = ${uid(campaignId)} and expires_at > ${ts(since)} and expires_at <= ${ts(now)}
        ), run as (
          select t, sum(d) over (order by t, d rows unbounded preceding) as live from ev
        )
        select date_trunc('hour', t) as hour, max(live)::int as peak
        from run where t >= ${ts(since)} group by 1 order by 1
      `);
      return rows.map((r) => ({ hour: new Date(r.hour), peak: r.peak }));
    },

    /** Which visit a call on the number at `at` belongs to (the rule in migration 0018). */
    async callVisit(numberId: string, at: Date, graceSeconds: number): Promise<CallVisit> {
      // Read for a call whose row a later callback made: a prepared statement, not built per call.
      const [row] = await database.query<CallVisit>(CALL_VISIT_SQL, [
        numberId,
        at.toISOString(),
        graceSeconds,
      ]);
      if (!row) throw new Error('leadline_call_visit returned no row');
      return row;
    },

    /** Every active number (the directory's warm-up); campaigns are the campaigns module's. */
    async activeNumbers(): Promise<TrackingNumberRow[]> {
      return db.select().from(trackingNumbers).where(eq(trackingNumbers.status, 'active'));
    },

    /**
     * Privacy: strips visitor sessions down to their campaign attribution (no visitor id, user
     * agent, referrer, click ids or query string): the given sessions and the same visitors' other
     * sessions, or (retention) up to `limit` sessions last seen before a date. Leases stay.
     */
    async forgetVisitors(
      scope: { sessionIds: string[] } | { lastSeenBefore: Date; limit: number },
    ): Promise<number> {
      const personal = sql`(s.visitor_id is not null or s.user_agent is not null or s.referrer is not null
        or s.gclid is not null or s.fbclid is not null or s.msclkid is not null
        or s.ip_city is not null or s.ip_lat is not null
        or s.landing_url <> coalesce(s.landing_path, ''))`;
      let ids: string[];
      if ('sessionIds' in scope) {
        if (scope.sessionIds.length === 0) return 0;
        const rows = await database.rows<{ id: string }>(sql`
          with given as (
            select id, site_id, visitor_id from visitor_sessions
             where id::text in (select jsonb_array_elements_text(${JSON.stringify(scope.sessionIds)}::jsonb))
          )
          select s.id from visitor_sessions s
           where (s.id in (select id from given)
                  or (s.visitor_id is not null
                      and (s.site_id, s.visitor_id) in (select site_id, visitor_id from given)))
             and ${personal}`);
        ids = rows.map((r) => r.id);
      } else {
        const rows = await database.rows<{ id: string }>(sql`
          select s.id from visitor_sessions s
           where s.last_seen_at < ${ts(scope.lastSeenBefore)} and ${personal}
           limit ${scope.limit}`);
        ids = rows.map((r) => r.id);
      }
      if (ids.length === 0) return 0;
      const updated = await database.rows<{ id: string }>(sql`
        update visitor_sessions
           set visitor_id = null, user_agent = null, referrer = null, gclid = null, fbclid = null,
               msclkid = null, ip_city = null, ip_region = null, ip_country = null, ip_lat = null,
               ip_lon = null,
               landing_url = coalesce(landing_path, ''), anonymous = true
         where id::text in (select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))
        returning id`);
      return updated.length;
    },
  };
}
export type NumbersRepo = ReturnType<typeof createNumbersRepo>;
