import { doublePrecision, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export interface WeeklyHours {
  /** Day 0 (Sunday) … 6 → list of [start, end) in "HH:MM" local time. */
  [day: string]: [string, string][];
}

/** A person who answers calls; the console authenticates with a token stored hashed. */
export const agents = pgTable('agents', {
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
  presence: text('presence', { enum: ['available', 'away', 'offline', 'busy'] })
    .notNull()
    .default('offline'),
  lastSeenAt: timestamp('last_seen_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
