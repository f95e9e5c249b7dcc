import { index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Every erasure request: who asked (the API key's id) and when, and what it touched. The caller's
 * number is never stored: only a salted SHA-256 of it, so a later request for the same number can
 * be recognised by someone who has the number, and nobody can read it back from this table.
 */
export const privacyErasures = pgTable(
  'privacy_erasures',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** hex SHA-256 of pepper + salt + E.164 number. */
    numberHash: text('number_hash').notNull(),
    /** Random per row (hex). */
    salt: text('salt').notNull(),
    requestedBy: text('requested_by').notNull(),
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull(),
    /** Rows changed per store, e.g. `{calls: 2, events: 6, sessions: 1}`. */
    touched: jsonb('touched').$type<Record<string, number>>().notNull(),
  },
  (t) => [index('privacy_erasures_requested_idx').on(t.requestedAt)],
);

/** One row per retention run (the daily `privacy.retention` job): cut-offs and what it changed. */
export const privacyRetentionRuns = pgTable('privacy_retention_runs', {
  id: uuid('id').primaryKey().defaultRandom(),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
  touched: jsonb('touched').$type<Record<string, number>>().notNull(),
});
