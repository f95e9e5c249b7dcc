import { desc, eq, inArray, sql } from 'drizzle-orm';
import { callScores, scoringRescoreRuns, scoringRuleSets } from '../../db/schema';
import type { Db } from '../shared/db';

export type CallScoreRow = typeof callScores.$inferSelect;
export type RescoreRunRow = typeof scoringRescoreRuns.$inferSelect;

/** PostgreSQL's SQLSTATE for a unique violation. */
const UNIQUE_VIOLATION = '23505';

/** Scoring's own tables: rule set versions, call scores and rescoring runs. */
export function createScoringRepo(db: Db) {
  return {
    async latestRuleSet(siteId: string) {
      const [row] = await db
        .select()
        .from(scoringRuleSets)
        .where(eq(scoringRuleSets.siteId, siteId))
        .orderBy(desc(scoringRuleSets.version))
        .limit(1);
      return row;
    },

    /** Saves a version; false when that version exists already (someone saved first). */
    async insertRuleSet(siteId: string, version: number, document: Record<string, unknown>) {
      try {
        await db.insert(scoringRuleSets).values({ siteId, version, document });
        return true;
      } catch (err) {
        if (isUniqueViolation(err)) return false;
        throw err;
      }
    },

    /** A call's score, replaced whenever it is scored again (scoring is idempotent). */
    async upsertScore(row: CallScoreRow): Promise<void> {
      const { callSid: _key, ...rest } = row;
      await db
        .insert(callScores)
        .values(row)
        .onConflictDoUpdate({ target: callScores.callSid, set: rest });
    },

    async scoresFor(callSids: string[]): Promise<CallScoreRow[]> {
      if (callSids.length === 0) return [];
      return db.select().from(callScores).where(inArray(callScores.callSid, callSids));
    },

    async createRun(row: { id: string; siteId: string | null; since: Date }) {
      await db.insert(scoringRescoreRuns).values({ ...row, state: 'queued' });
    },
    async updateRun(id: string, patch: Partial<Omit<RescoreRunRow, 'id'>>) {
      await db.update(scoringRescoreRuns).set(patch).where(eq(scoringRescoreRuns.id, id));
    },
    async getRun(id: string): Promise<RescoreRunRow | undefined> {
      const [row] = await db.select().from(scoringRescoreRuns).where(eq(scoringRescoreRuns.id, id));
      return row;
    },
    /** Counts a batch into a run's progress. */
    async addScored(id: string, n: number) {
      await db
        .update(scoringRescoreRuns)
        .set({ scored: sql`${scoringRescoreRuns.scored} + ${n}` })
        .where(eq(scoringRescoreRuns.id, id));
    },

    /**
     * Privacy: drops these facts (e.g. the caller's place, quoted utterances) from the calls'
     * explanations; scores stay. Returns how many scores changed.
     */
    async forgetFacts(callSids: string[], keys: readonly string[]): Promise<number> {
      if (callSids.length === 0 || keys.length === 0) return 0;
      const names = sql`array(select jsonb_array_elements_text(${JSON.stringify(keys)}::jsonb))`;
      const rows = await db.execute<{ call_sid: string }>(sql`
        update call_scores s
           set explanation = coalesce(
                 (select jsonb_agg(case when jsonb_typeof(x->'facts') = 'object'
                                        then jsonb_set(x, '{facts}', (x->'facts') - ${names})
                                        else x end order by n)
                    from jsonb_array_elements(s.explanation) with ordinality as e(x, n)),
                 '[]'::jsonb)
         where s.call_sid in (select jsonb_array_elements_text(${JSON.stringify(callSids)}::jsonb))
           and exists (select 1 from jsonb_array_elements(s.explanation) x
                        where jsonb_typeof(x->'facts') = 'object'
                          and (x->'facts') ?| ${names})
        returning s.call_sid`);
      return rowCount(rows);
    },
  };
}
export type ScoringRepo = ReturnType<typeof createScoringRepo>;

/** Rows returned by execute(): an array (postgres.js) or `{rows}` (PGlite). */
function rowCount(result: unknown): number {
  if (Array.isArray(result)) return result.length;
  return (result as { rows?: unknown[] }).rows?.length ?? 0;
}

function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === UNIQUE_VIOLATION) return true;
  }
  return false;
}
