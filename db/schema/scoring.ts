import {
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  pgView,
  primaryKey,
  real,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

/**
 * Every version of a site's scoring rules; the highest version is the one in force. A site
 * without rows scores with the built-in defaults (version 0).
 */
export const scoringRuleSets = pgTable(
  'scoring_rule_sets',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    siteId: uuid('site_id').notNull(),
    version: integer('version').notNull(),
    /** The validated document without siteId/version: `{rules, thresholds}`. */
    document: jsonb('document').$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('scoring_rule_sets_site_version_uq').on(t.siteId, t.version)],
);

/** The latest score of each call, with the reasons and the rule version that produced it. */
export const callScores = pgTable(
  'call_scores',
  {
    callSid: text('call_sid').primaryKey(),
    siteId: uuid('site_id'),
    score: integer('score').notNull(),
    qualified: boolean('qualified').notNull(),
    label: text('label').notNull(),
    explanation: jsonb('explanation').$type<unknown[]>().notNull(),
    rulesVersion: integer('rules_version').notNull(),
    scoredAt: timestamp('scored_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('call_scores_label_idx').on(t.label),
    index('call_scores_site_scored_idx').on(t.siteId, t.scoredAt),
  ],
);

/** One rescoring run (a `scoring.rescore` job): what it covers and how far it got. */
export const scoringRescoreRuns = pgTable('scoring_rescore_runs', {
  id: uuid('id').primaryKey(),
  siteId: uuid('site_id'),
  since: timestamp('since', { withTimezone: true }).notNull(),
  state: text('state', { enum: ['queued', 'running', 'completed', 'failed'] }).notNull(),
  scored: integer('scored').notNull().default(0),
  error: text('error'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
});

/** What other features may read of scores (reports, Salesforce sync): a view, not the table. */
export const callScoresView = pgView('call_scores_v').as((qb) =>
  qb
    .select({
      callSid: callScores.callSid,
      score: callScores.score,
      qualified: callScores.qualified,
      label: callScores.label,
      rulesVersion: callScores.rulesVersion,
      scoredAt: callScores.scoredAt,
    })
    .from(callScores),
);

/**
 * The final utterances of a call's real-time transcription, one row per Twilio callback
 * (`POST /twilio/transcription`); the key (call, track, sequence) makes a retried callback a no-op.
 */
export const callTranscripts = pgTable(
  'call_transcripts',
  {
    callSid: text('call_sid').notNull(),
    /** inbound: the caller's audio; outbound: what the caller hears (the agent). */
    track: text('track', { enum: ['inbound', 'outbound'] }).notNull(),
    /** Twilio's SequenceId: orders the utterances of one transcription. */
    sequence: integer('sequence').notNull(),
    text: text('text').notNull(),
    confidence: real('confidence'),
    at: timestamp('at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.callSid, t.track, t.sequence] })],
);
