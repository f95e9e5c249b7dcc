import { pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** API keys for the admin/marketer API; only a SHA-256 of the key is stored. */
export const apiKeys = pgTable('api_keys', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  role: text('role', { enum: ['admin', 'marketer'] }).notNull(),
  keyHash: text('key_hash').notNull().unique(),
  keyPrefix: text('key_prefix').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
  /** After this instant the key is refused; null: it does not expire. */
  expiresAt: timestamp('expires_at', { withTimezone: true }),
});
