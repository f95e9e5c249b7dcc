import {
  boolean,
  doublePrecision,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

export type SalesforceSyncState = 'pending' | 'synced' | 'dead';

/**
 * One row per call that is (to be) in Salesforce: the sync's durable state. A call is created
 * here when it is scored and leaves `pending` once its Task exists; a record Salesforce rejects
 * for its data stays as a dead letter (`dead`, with Salesforce's message) until retried.
 */
export const salesforceSync = pgTable(
  'salesforce_sync',
  {
    callSid: text('call_sid').primaryKey(),
    state: text('state').$type<SalesforceSyncState>().notNull(),
    /** The Task's id once created. */
    taskId: text('task_id'),
    /** The Lead or Contact the Task is on. */
    whoId: text('who_id'),
    /** How the person was found: contact, lead (most recent), lead-created. */
    matchRule: text('match_rule'),
    /** The call was rescored after its Task was written: the Task needs an update. */
    needsUpdate: boolean('needs_update').notNull().default(false),
    /**
     * A Task create was sent and its outcome is unknown (timeout): before creating again the
     * Task is looked up by CallObject.
     */
    createSent: boolean('create_sent').notNull().default(false),
    /**
     * A Lead create for this caller was sent with an unknown outcome: before creating one again,
     * Leads are looked up by the exact phone sent (SOQL sees new records at once; search may lag).
     */
    leadCreateSent: boolean('lead_create_sent').notNull().default(false),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    lastErrorCode: text('last_error_code'),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull(),
    /** A node working this row holds it until then (other nodes skip it). */
    claimedUntil: timestamp('claimed_until', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
    syncedAt: timestamp('synced_at', { withTimezone: true }),
    deadAt: timestamp('dead_at', { withTimezone: true }),
  },
  (t) => [index('salesforce_sync_due_idx').on(t.state, t.nextAttemptAt)],
);

/** People already added to a Salesforce Campaign as "Responded": added once per pair. */
export const salesforceCampaignMembers = pgTable(
  'salesforce_campaign_members',
  {
    whoId: text('who_id').notNull(),
    sfCampaignId: text('sf_campaign_id').notNull(),
    memberId: text('member_id'),
    callSid: text('call_sid').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.whoId, t.sfCampaignId] })],
);

/**
 * What became of the people Leadline synced, read back from Salesforce: one row per opportunity
 * and the call that first brought the person in (first touch), with that call's attribution
 * copied, so revenue can be reported per campaign, source and keyword.
 */
export const salesforceOutcomes = pgTable(
  'salesforce_outcomes',
  {
    opportunityId: text('opportunity_id').primaryKey(),
    callSid: text('call_sid').notNull(),
    whoId: text('who_id').notNull(),
    /** How the opportunity was found: converted-lead or contact-role. */
    via: text('via').notNull(),
    stage: text('stage'),
    isWon: boolean('is_won').notNull().default(false),
    isClosed: boolean('is_closed').notNull().default(false),
    amount: doublePrecision('amount'),
    closeDate: text('close_date'),
    campaignId: text('campaign_id'),
    source: text('source'),
    keyword: text('keyword'),
    readAt: timestamp('read_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('salesforce_outcomes_call_idx').on(t.callSid)],
);
