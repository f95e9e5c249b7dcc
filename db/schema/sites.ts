import { sql } from 'drizzle-orm';
import {
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

/** A customer website that embeds dni.js. */
export const sites = pgTable('sites', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  siteKey: text('site_key').notNull().unique(),
  allowedOrigins: jsonb('allowed_origins')
    .$type<string[]>()
    .notNull()
    .default(sql`'[]'::jsonb`),
  swapTargets: jsonb('swap_targets')
    .$type<string[]>()
    .notNull()
    .default(sql`'[]'::jsonb`),
  /**
   * User-agent substrings this site vouches for (its own uptime monitor, say): such visits lease
   * a number like a person's instead of getting the bot answer.
   */
  botAllowList: jsonb('bot_allow_list')
    .$type<string[]>()
    .notNull()
    .default(sql`'[]'::jsonb`),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export interface CampaignMatch {
  utmSource?: string;
  utmMedium?: string;
  utmCampaign?: string;
  referrerDomain?: string;
  landingParam?: string;
}

/** What a visit must look like to be this campaign's; an empty match is the site's default. */
export const campaigns = pgTable(
  'campaigns',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    siteId: uuid('site_id')
      .notNull()
      .references(() => sites.id),
    name: text('name').notNull(),
    match: jsonb('match')
      .$type<CampaignMatch>()
      .notNull()
      .default(sql`'{}'::jsonb`),
    holdSeconds: integer('hold_seconds').notNull().default(1800),
    fallbackNumber: text('fallback_number').notNull(),
    overflow: text('overflow', { enum: ['share_lru', 'source_number'] })
      .notNull()
      .default('share_lru'),
    salesforceCampaignId: text('salesforce_campaign_id'),
    recordCalls: boolean('record_calls').notNull().default(false),
    /** Seconds an agent's phone rings before the next agent is tried. */
    dialTimeoutSeconds: integer('dial_timeout_seconds').notNull().default(20),
    /** Agents tried before the fallback number. */
    maxAgentAttempts: integer('max_agent_attempts').notNull().default(3),
    /** Take a voicemail when nobody answers (else apologise and hang up). */
    voicemail: boolean('voicemail').notNull().default(true),
    /** Said to the caller before ringing, when set. */
    greeting: text('greeting'),
    /** Start Twilio's real-time transcription on its calls (key-term scoring reads it). */
    transcription: boolean('transcription').notNull().default(false),
    /** The recording consent notice: off, always, or for callers in all-party-consent states. */
    recordingConsent: text('recording_consent', { enum: ['off', 'always', 'all-party-states'] })
      .notNull()
      .default('all-party-states'),
    archivedAt: timestamp('archived_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('campaigns_site_idx').on(t.siteId)],
);
