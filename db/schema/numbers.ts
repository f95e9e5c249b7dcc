import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { campaigns, sites } from './sites';

/**
 * A Twilio number Leadline owns. `pool` numbers are leased to visitors; a `source` number is shown
 * to visitors who send no visitor id (Do-Not-Track, no consent). The current lease lives on the row
 * so that leasing is one atomic UPDATE; the history is in number_leases. `lease_expires_at` is the
 * instant the number is free again: the end of its exclusive lease or of any shared lease on it.
 */
export const trackingNumbers = pgTable(
  'tracking_numbers',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    campaignId: uuid('campaign_id').references(() => campaigns.id),
    e164: text('e164').notNull(),
    twilioSid: text('twilio_sid'),
    kind: text('kind', { enum: ['pool', 'source'] })
      .notNull()
      .default('pool'),
    status: text('status', { enum: ['active', 'released'] })
      .notNull()
      .default('active'),
    locality: text('locality'),
    region: text('region'),
    demo: boolean('demo').notNull().default(false),
    leaseSessionId: uuid('lease_session_id'),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),
    lastLeasedAt: timestamp('last_leased_at', { withTimezone: true }),
    provisionedAt: timestamp('provisioned_at', { withTimezone: true }).notNull().defaultNow(),
    releasedAt: timestamp('released_at', { withTimezone: true }),
    quarantineUntil: timestamp('quarantine_until', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('tracking_numbers_active_e164_uq')
      .on(t.e164)
      .where(sql`${t.status} = 'active'`),
    index('tracking_numbers_pool_idx').on(t.campaignId, t.kind, t.status, t.lastLeasedAt),
    // The free-number pick's order, so a new lease reads one index entry whatever the pool size:
    // free numbers (never leased, or busy-until in the past) form a prefix of this order.
    index('tracking_numbers_free_pick_idx')
      .on(
        t.campaignId,
        t.leaseExpiresAt.asc().nullsFirst(),
        t.lastLeasedAt.asc().nullsFirst(),
        t.id,
      )
      .where(sql`${t.kind} = 'pool' and ${t.status} = 'active'`),
  ],
);

/** A visit by one visitor: where they came from, and which number they were shown. */
export const visitorSessions = pgTable(
  'visitor_sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    siteId: uuid('site_id')
      .notNull()
      .references(() => sites.id),
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => campaigns.id),
    visitorId: text('visitor_id'),
    landingUrl: text('landing_url').notNull(),
    landingPath: text('landing_path'),
    referrer: text('referrer'),
    referrerDomain: text('referrer_domain'),
    source: text('source'),
    medium: text('medium'),
    utmCampaign: text('utm_campaign'),
    utmTerm: text('utm_term'),
    utmContent: text('utm_content'),
    gclid: text('gclid'),
    fbclid: text('fbclid'),
    msclkid: text('msclkid'),
    device: text('device', { enum: ['desktop', 'mobile', 'tablet', 'bot', 'unknown'] }),
    userAgent: text('user_agent'),
    /** Where the visitor's IP address is, rounded to ~10 km; the address itself is not kept. */
    ipCity: text('ip_city'),
    ipRegion: text('ip_region'),
    ipCountry: text('ip_country'),
    ipLat: doublePrecision('ip_lat'),
    ipLon: doublePrecision('ip_lon'),
    numberId: uuid('number_id').references(() => trackingNumbers.id),
    shared: boolean('shared').notNull().default(false),
    anonymous: boolean('anonymous').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('visitor_sessions_visitor_idx').on(t.siteId, t.visitorId, t.lastSeenAt)],
);

/** Which session held which number when; call attribution joins on it. */
export const numberLeases = pgTable(
  'number_leases',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    numberId: uuid('number_id')
      .notNull()
      .references(() => trackingNumbers.id),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => visitorSessions.id, { onDelete: 'cascade' }),
    campaignId: uuid('campaign_id').notNull(),
    shared: boolean('shared').notNull().default(false),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('number_leases_number_time_idx').on(t.numberId, t.startedAt, t.expiresAt),
    index('number_leases_session_idx').on(t.sessionId),
  ],
);

/** A lease request that found every pool number taken. */
export const poolExhaustionEvents = pgTable(
  'pool_exhaustion_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => campaigns.id),
    sessionId: uuid('session_id'),
    poolSize: integer('pool_size'),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('pool_exhaustion_campaign_idx').on(t.campaignId, t.occurredAt)],
);
