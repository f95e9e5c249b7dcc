import { bigserial, jsonb, pgTable, text, timestamp, uuid, customType } from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });

/** Where the caller is, and how Leadline found out. */
export interface StoredPlace {
  lat: number | null;
  lon: number | null;
  city?: string | null;
  state?: string | null;
  how: 'zip' | 'city' | 'area-code' | 'unknown';
}

export interface StoredCandidate {
  agentId: string;
  km: number | null;
  skipped?: 'busy' | 'off-hours' | 'not-in-campaign' | 'away';
}

export interface StoredAttempt {
  kind: 'agent' | 'fallback' | 'voicemail';
  agentId?: string;
  number?: string;
  at: string;
  /** Twilio's DialCallStatus once the attempt is over. */
  outcome?: string;
}

/** Every routing decision, with its reasons, so a person can question it later. */
export const callRouting = pgTable('call_routing', {
  callSid: text('call_sid').primaryKey(),
  campaignId: uuid('campaign_id'),
  callerPlace: jsonb('caller_place').$type<StoredPlace>().notNull(),
  candidates: jsonb('candidates').$type<StoredCandidate[]>().notNull(),
  winner: uuid('winner'),
  attempts: jsonb('attempts').$type<StoredAttempt[]>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * The table @socket.io/postgres-adapter keeps payloads too large for NOTIFY in (its documented
 * layout), so several nodes can deliver screen-pops to each other's agents.
 */
export const socketIoAttachments = pgTable('socket_io_attachments', {
  id: bigserial('id', { mode: 'number' }).unique(),
  createdAt: timestamp('created_at', { withTimezone: true }).defaultNow(),
  payload: bytea('payload'),
});
