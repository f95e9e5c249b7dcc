import {
  bigserial,
  customType,
  index,
  jsonb,
  pgTable,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

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
  /** The campaign settings the decision used (dial results still read the number directory). */
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

/** An agent's (or an API client's) disposition of a call: one current label per call. */
export const callDispositions = pgTable('call_dispositions', {
  callSid: text('call_sid').primaryKey(),
  /** One of DISPOSITION_LABELS, as configured (canonical spelling). */
  label: text('label').notNull(),
  note: text('note'),
  /** The agent who set it from the console; null when set through the API. */
  agentId: uuid('agent_id'),
  at: timestamp('at', { withTimezone: true }).notNull(),
});

/**
 * A call that reached no agent (voicemail, abandoned while ringing, nobody available), until an
 * agent has called the caller back and closed it with an outcome.
 */
export const followUps = pgTable(
  'follow_ups',
  {
    callSid: text('call_sid').primaryKey(),
    campaignId: uuid('campaign_id'),
    /** When the missed call ended: time to callback counts from here. */
    missedAt: timestamp('missed_at', { withTimezone: true }).notNull(),
    state: text('state', { enum: ['open', 'claimed', 'closed'] })
      .notNull()
      .default('open'),
    claimedBy: uuid('claimed_by'),
    claimedAt: timestamp('claimed_at', { withTimezone: true }),
    /** When Leadline first placed the callback through Twilio (measured, not self-reported). */
    firstCallbackAt: timestamp('first_callback_at', { withTimezone: true }),
    /** The latest callback leg Leadline placed (Twilio's call sid). */
    callbackCallSid: text('callback_call_sid'),
    /** How the latest callback leg ended, from its status callback; null while it is under way. */
    callbackResult: text('callback_result', {
      enum: ['answered', 'no-answer', 'busy', 'failed', 'canceled'],
    }),
    /** When Leadline heard how the latest callback leg ended. */
    callbackResultAt: timestamp('callback_result_at', { withTimezone: true }),
    outcome: text('outcome'),
    closedAt: timestamp('closed_at', { withTimezone: true }),
  },
  (t) => [index('follow_ups_state_idx').on(t.state), index('follow_ups_missed_idx').on(t.missedAt)],
);
