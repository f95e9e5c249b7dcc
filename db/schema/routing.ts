import { bigserial, jsonb, pgTable, text, timestamp, uuid, customType } from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });

/** Where the caller is, and how Leadline found out. */
export interface StoredPlace {
  lat: number | null;
  lon: number | null;
  city?: string | null;
  state?: string | null;
  how: 'zip' | 'city' | 'area-code' | 'ip' | 'unknown';
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
  /** The dialled leg, from the `<Dial action>` callback (recognises Twilio's retries). */
  dialCallSid?: string;
  /** Twilio's DialCallStatus once the attempt is over. */
  outcome?: string;
}

/** What routing needs to go on after the first attempt, copied from the campaign at decision time. */
export interface StoredPlan {
  to: string;
  from: string;
  campaignId: string | null;
  campaignName: string | null;
  fallbackNumber: string | null;
  recordCalls: boolean;
  dialTimeoutSeconds: number;
  maxAgentAttempts: number;
  voicemail: boolean;
}

/** Every routing decision, with its reasons, so a person can question it later. */
export const callRouting = pgTable('call_routing', {
  callSid: text('call_sid').primaryKey(),
  campaignId: uuid('campaign_id'),
  callerPlace: jsonb('caller_place').$type<StoredPlace>().notNull(),
  candidates: jsonb('candidates').$type<StoredCandidate[]>().notNull(),
  winner: uuid('winner'),
  attempts: jsonb('attempts').$type<StoredAttempt[]>().notNull(),
  /** Reserved for the campaign settings a decision used; not written yet (dial results read the number directory). */
  plan: jsonb('plan').$type<StoredPlan>(),
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
