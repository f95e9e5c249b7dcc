import { and, asc, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import {
  numberLeases,
  poolExhaustionEvents,
  trackingNumbers,
  visitorSessions,
} from '../../db/schema';
import type { Database, DbOrTx } from '../shared/db';

export type TrackingNumberRow = typeof trackingNumbers.$inferSelect;
export type SessionRow = typeof visitorSessions.$inferSelect;
type NewSession = typeof visitorSessions.$inferInsert;
type NewNumber = typeof trackingNumbers.$inferInsert;

/** Explicit casts: parameters in a SELECT list have no type for Postgres to infer. */
const ts = (d: Date) => sql`${d.toISOString()}::timestamptz`;
const uid = (id: string) => sql`${id}::uuid`;

export interface LeaseWithVisit {
  sessionId: string;
  shared: boolean;
  startedAt: Date;
  expiresAt: Date;
  visitorId: string | null;
  campaignId: string;
  siteId: string;
  landingUrl: string;
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

export interface LeasedNumber {
  id: string;
  e164: string;
}

/** Tracking numbers, visitor sessions and the lease history; leasing is one SQL statement. */
export function createNumbersRepo(database: Database) {
  const { db } = database;

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
    /** E.164 numbers released by Leadline whose quarantine has not ended. */
    async quarantined(e164s: string[], now: Date): Promise<Set<string>> {
      if (e164s.length === 0) return new Set();
      const rows = await db
        .select({ e164: trackingNumbers.e164 })
        .from(trackingNumbers)
        .where(
          and(
            inArray(trackingNumbers.e164, e164s),
            eq(trackingNumbers.status, 'released'),
            gt(trackingNumbers.quarantineUntil, now),
          ),
        );
      return new Set(rows.map((r) => r.e164));
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

    async insertSession(row: NewSession): Promise<SessionRow> {
      const [created] = await db.insert(visitorSessions).values(row).returning();
      if (!created) throw new Error('session insert returned nothing');
      return created;
    },
    /** The visitor's most recent session on a site that was seen after `seenAfter`. */
    async findRecentSession(
      siteId: string,
      visitorId: string,
      seenAfter: Date,
    ): Promise<SessionRow | undefined> {
      const [row] = await db
        .select()
        .from(visitorSessions)
        .where(
          and(
            eq(visitorSessions.siteId, siteId),
            eq(visitorSessions.visitorId, visitorId),
            gt(visitorSessions.lastSeenAt, seenAfter),
          ),
        )
        .orderBy(desc(visitorSessions.lastSeenAt))
        .limit(1);
      return row;
    },
    async touchSession(id: string, patch: Partial<NewSession>): Promise<void> {
      await db.update(visitorSessions).set(patch).where(eq(visitorSessions.id, id));
    },

    /**
     * Leases the pool number idle longest (never-used first, then the earliest-freed) to a session,
     * and records the lease, in one statement. SKIP LOCKED lets concurrent requests on several
     * nodes take different numbers instead of queueing on the same row.
     */
    async leaseIdleNumber(args: {
      campaignId: string;
      sessionId: string;
      now: Date;
      expiresAt: Date;
    }): Promise<LeasedNumber | undefined> {
      const rows = await database.rows<LeasedNumber>(sql`
        with picked as (
          select id from tracking_numbers
          where campaign_id = ${uid(args.campaignId)} and kind = 'pool' and status = 'active'
            and (lease_expires_at is null or lease_expires_at <= ${ts(args.now)})
          order by lease_expires_at asc nulls first, last_leased_at asc nulls first, id
          limit 1
          for update skip locked
        ), leased as (
          update tracking_numbers t
          set lease_session_id = ${uid(args.sessionId)}, lease_expires_at = ${ts(args.expiresAt)},
              last_leased_at = ${ts(args.now)}
          from picked where t.id = picked.id
          returning t.id, t.e164
        ), history as (
          insert into number_leases (number_id, session_id, campaign_id, shared, started_at, expires_at)
          select id, ${uid(args.sessionId)}, ${uid(args.campaignId)}, false, ${ts(args.now)}, ${ts(args.expiresAt)}
          from leased
          returning number_id
        )
        select leased.id, leased.e164 from leased join history on history.number_id = leased.id
      `);
      return rows[0];
    },

    /**
     * Extends a session's exclusive lease if it still holds the number; undefined when the lease
     * lapsed and someone else took the number.
     */
    async renewLease(args: {
      numberId: string;
      sessionId: string;
      now: Date;
      expiresAt: Date;
    }): Promise<LeasedNumber | undefined> {
      const rows = await database.rows<LeasedNumber>(sql`
        with renewed as (
          update tracking_numbers
          set lease_expires_at = ${ts(args.expiresAt)}, lease_session_id = ${uid(args.sessionId)}
          where id = ${uid(args.numberId)} and status = 'active'
            and (lease_session_id = ${uid(args.sessionId)} or lease_expires_at is null
                 or lease_expires_at <= ${ts(args.now)})
          returning id, e164, lease_session_id
        ), extended as (
          update number_leases set expires_at = ${ts(args.expiresAt)}
          where id = (select max(id) from number_leases
                      where session_id = ${uid(args.sessionId)} and number_id = ${uid(args.numberId)})
            and exists (select 1 from renewed)
            and expires_at > ${ts(args.now)}
          returning id
        ), restarted as (
          insert into number_leases (number_id, session_id, campaign_id, shared, started_at, expires_at)
          select renewed.id, ${uid(args.sessionId)}, t.campaign_id, false, ${ts(args.now)}, ${ts(args.expiresAt)}
          from renewed join tracking_numbers t on t.id = renewed.id
          where not exists (select 1 from extended)
          returning id
        )
        select renewed.id, renewed.e164 from renewed
        where exists (select 1 from extended) or exists (select 1 from restarted)
      `);
      return rows[0];
    },

    /** Pool exhausted: share the least-recently-assigned number; the lease is flagged shared. */
    async shareLeastRecentNumber(args: {
      campaignId: string;
      sessionId: string;
      now: Date;
      expiresAt: Date;
    }): Promise<LeasedNumber | undefined> {
      const rows = await database.rows<LeasedNumber>(sql`
        with picked as (
          select id from tracking_numbers
          where campaign_id = ${uid(args.campaignId)} and kind = 'pool' and status = 'active'
          order by last_leased_at asc nulls first, id
          limit 1
          for update skip locked
        ), touched as (
          update tracking_numbers t set last_leased_at = ${ts(args.now)}
          from picked where t.id = picked.id
          returning t.id, t.e164
        ), history as (
          insert into number_leases (number_id, session_id, campaign_id, shared, started_at, expires_at)
          select id, ${uid(args.sessionId)}, ${uid(args.campaignId)}, true, ${ts(args.now)}, ${ts(args.expiresAt)}
          from touched
          returning number_id
        )
        select touched.id, touched.e164 from touched join history on history.number_id = touched.id
      `);
      return rows[0];
    },

    /** Extends a shared lease; shared sessions keep their number rather than jump to a freed one. */
    async renewSharedLease(sessionId: string, numberId: string, now: Date, expiresAt: Date) {
      const rows = await database.rows<{ id: number }>(sql`
        update number_leases set expires_at = ${ts(expiresAt)}
        where id = (select max(id) from number_leases where session_id = ${uid(sessionId)} and number_id = ${uid(numberId)})
          and expires_at > ${ts(now)}
        returning id
      `);
      return rows.length > 0;
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

    async recordExhaustion(campaignId: string, sessionId: string, poolSize: number, at: Date) {
      await db
        .insert(poolExhaustionEvents)
        .values({ campaignId, sessionId, poolSize, occurredAt: at });
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

    /** Leases of a number that covered `at` or ended at most `graceSeconds` before it, newest first. */
    async leasesAround(
      numberId: string,
      at: Date,
      graceSeconds: number,
    ): Promise<LeaseWithVisit[]> {
      const earliest = new Date(at.getTime() - graceSeconds * 1000);
      return database.rows<LeaseWithVisit>(sql`
        select l.session_id as "sessionId", l.shared, l.started_at as "startedAt",
               l.expires_at as "expiresAt", s.visitor_id as "visitorId", s.campaign_id as "campaignId",
               s.site_id as "siteId", s.landing_url as "landingUrl", s.landing_path as "landingPath",
               s.referrer, s.source, s.medium, s.utm_campaign as "utmCampaign", s.utm_term as "utmTerm",
               s.gclid, s.fbclid, s.msclkid, s.device
        from number_leases l join visitor_sessions s on s.id = l.session_id
        where l.number_id = ${uid(numberId)} and l.started_at <= ${ts(at)}
          and l.expires_at >= ${ts(earliest)}
        order by l.expires_at desc, l.started_at desc
        limit 20
      `);
    },

    /** Active numbers with their campaign's fallback: the cache that answers calls when the DB cannot. */
    async fallbackTable(): Promise<{ e164: string; fallbackNumber: string }[]> {
      return database.rows(sql`
        select t.e164, c.fallback_number as "fallbackNumber"
        from tracking_numbers t join campaigns c on c.id = t.campaign_id
        where t.status = 'active'
      `);
    },

    async leaseHistory(numberId: string) {
      return db
        .select()
        .from(numberLeases)
        .where(eq(numberLeases.numberId, numberId))
        .orderBy(asc(numberLeases.startedAt));
    },
  };
}
export type NumbersRepo = ReturnType<typeof createNumbersRepo>;
