import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

export type AttributionConfidence = 'exact' | 'ambiguous' | 'expired' | 'none';

/**
 * One row per Twilio call (CallSid), parent and child legs alike. The visit's attribution is
 * copied on to the call so reports outlive session retention.
 */
export const calls = pgTable(
  'calls',
  {
    callSid: text('call_sid').primaryKey(),
    parentCallSid: text('parent_call_sid'),
    accountSid: text('account_sid'),
    direction: text('direction'),
    fromNumber: text('from_number'),
    toNumber: text('to_number'),
    trackingNumberId: uuid('tracking_number_id'),
    siteId: uuid('site_id'),
    campaignId: uuid('campaign_id'),
    sessionId: uuid('session_id'),
    visitorId: text('visitor_id'),
    attribution: text('attribution').$type<AttributionConfidence>().notNull().default('none'),
    attributionCandidates: jsonb('attribution_candidates').$type<string[]>(),
    source: text('source'),
    medium: text('medium'),
    utmCampaign: text('utm_campaign'),
    keyword: text('keyword'),
    landingUrl: text('landing_url'),
    landingPath: text('landing_path'),
    referrer: text('referrer'),
    gclid: text('gclid'),
    fbclid: text('fbclid'),
    msclkid: text('msclkid'),
    device: text('device'),
    callerName: text('caller_name'),
    callerCity: text('caller_city'),
    callerState: text('caller_state'),
    callerZip: text('caller_zip'),
    callerCountry: text('caller_country'),
    status: text('status').notNull(),
    /** What happened, in a marketer's words: answered, voicemail, missed, busy, failed, abandoned, spam. */
    outcome: text('outcome'),
    statusRank: integer('status_rank').notNull().default(0),
    lastSequence: integer('last_sequence').notNull().default(-1),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    answeredAt: timestamp('answered_at', { withTimezone: true }),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    ringSeconds: integer('ring_seconds'),
    durationSeconds: integer('duration_seconds'),
    talkSeconds: integer('talk_seconds'),
    dialStatus: text('dial_status'),
    answeredBy: text('answered_by'),
    recordingUrl: text('recording_url'),
    recordingSid: text('recording_sid'),
    recordingSeconds: integer('recording_seconds'),
    firstTime: boolean('first_time'),
    previousCalls: integer('previous_calls').notNull().default(0),
    spam: boolean('spam').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('calls_campaign_started_idx').on(t.campaignId, t.startedAt),
    index('calls_from_started_idx').on(t.fromNumber, t.startedAt),
    index('calls_started_idx').on(t.startedAt),
    index('calls_parent_idx')
      .on(t.parentCallSid)
      .where(sql`${t.parentCallSid} is not null`),
  ],
);

/** Every webhook Leadline accepted for a call; the dedupe key makes Twilio's retries no-ops. */
export const callEvents = pgTable(
  'call_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    callSid: text('call_sid').notNull(),
    /** The parent call's sid for child legs, else the call's own: a call and its legs fold together. */
    rootCallSid: text('root_call_sid').notNull(),
    kind: text('kind', { enum: ['voice', 'status', 'dial', 'recording', 'fallback'] }).notNull(),
    status: text('status'),
    sequenceNumber: integer('sequence_number'),
    twilioTimestamp: timestamp('twilio_timestamp', { withTimezone: true }),
    dedupeKey: text('dedupe_key').notNull(),
    params: jsonb('params').$type<Record<string, string>>().notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('call_events_dedupe_uq').on(t.dedupeKey),
    index('call_events_call_idx').on(t.callSid),
    index('call_events_root_idx').on(t.rootCallSid),
  ],
);

/** Numbers or prefixes whose calls are rejected and recorded as spam. */
export const blockedNumbers = pgTable('blocked_numbers', {
  id: uuid('id').primaryKey().defaultRandom(),
  pattern: text('pattern').notNull().unique(),
  reason: text('reason'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Webhooks that could never be stored (the database refuses a value, or every retry failed), kept
 * with their error until an admin retries them. Params are JSON text, not jsonb, so a value jsonb
 * refuses can still be kept here.
 */
export const webhookDeadLetters = pgTable(
  'webhook_dead_letters',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** The event's dedupe key: a webhook replayed again updates its dead letter, not a second one. */
    dedupeKey: text('dedupe_key').notNull(),
    kind: text('kind').notNull(),
    callSid: text('call_sid'),
    params: text('params').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull(),
    error: text('error').notNull(),
    attempts: integer('attempts').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('webhook_dead_letters_dedupe_uq').on(t.dedupeKey),
    index('webhook_dead_letters_call_idx').on(t.callSid),
  ],
);
