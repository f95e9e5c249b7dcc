import {
  boolean,
  doublePrecision,
  index,
  jsonb,
  pgTable,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

export interface WeeklyHours {
  /** Day 0 (Sunday) … 6 → list of [start, end) in "HH:MM" local time. */
  [day: string]: [string, string][];
}

/**
 * A person who answers calls; the console authenticates with a token stored hashed. Presence and
 * the current call live here, not in a node's memory, so any Leadline node can route to anyone.
 */
export const agents = pgTable(
  'agents',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    phone: text('phone').notNull(),
    zip: text('zip'),
    lat: doublePrecision('lat').notNull(),
    lon: doublePrecision('lon').notNull(),
    timezone: text('timezone').notNull(),
    hours: jsonb('hours').$type<WeeklyHours>(),
    skills: jsonb('skills').$type<string[]>(),
    campaignIds: jsonb('campaign_ids').$type<string[]>(),
    tokenHash: text('token_hash').notNull().unique(),
    active: boolean('active').notNull().default(true),
    /** What the console last said: available or away; offline once no console is connected. */
    presence: text('presence', { enum: ['available', 'away', 'offline', 'busy'] })
      .notNull()
      .default('offline'),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }),
    /** The call the agent is being dialled for or is on; set atomically when routing claims them. */
    onCallSid: text('on_call_sid'),
    onCallSince: timestamp('on_call_since', { withTimezone: true }),
    /** When their last call ended (or when they became available): "waited longest" orders by it. */
    idleSince: timestamp('idle_since', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('agents_on_call_idx').on(t.onCallSid), index('agents_updated_idx').on(t.updatedAt)],
);
