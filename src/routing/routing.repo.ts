import { and, eq, inArray, isNotNull, ne, sql } from 'drizzle-orm';
import { callDispositions, callRouting, followUps, type StoredAttempt } from '../../db/schema';
import type { Database } from '../shared/db';

export type CallRoutingRow = typeof callRouting.$inferSelect;
export type NewCallRouting = typeof callRouting.$inferInsert;

/** What an erased follow-up's outcome reads (a closed follow-up keeps having one). */
export const ERASED_OUTCOME = '[erased]';

/** Fixed text, so the driver prepares it once: one decision is stored for every incoming call. */
const INSERT_DECISION_SQL = `
  insert into call_routing (call_sid, campaign_id, caller_place, candidates, winner, attempts, plan)
  values ($1, $3::uuid, $4::jsonb, $5::jsonb, $2::uuid, $6::jsonb, $7::jsonb)
  on conflict (call_sid) do nothing`;

const jsonOrNull = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));

/** A decision's columns after its call sid and winner, as the statements storing it bind them. */
export const decisionParams = (row: Partial<NewCallRouting>) => [
  row.campaignId ?? null,
  jsonOrNull(row.callerPlace),
  jsonOrNull(row.candidates),
  jsonOrNull(row.attempts),
  jsonOrNull(row.plan),
];

/** call_routing: one decision per call, with its candidates and every attempt. */
export function createRoutingRepo(database: Database) {
  const { db } = database;
  return {
    /**
     * Stores the first decision; a retried webhook for the same call keeps the first one. Every
     * incoming call stores one, so it is a prepared statement rather than a query built per call.
     */
    async insert(row: NewCallRouting): Promise<void> {
      await database.query(INSERT_DECISION_SQL, [
        row.callSid,
        row.winner ?? null,
        ...decisionParams(row),
      ]);
    },
    async find(callSid: string): Promise<CallRoutingRow | undefined> {
      const [row] = await db.select().from(callRouting).where(eq(callRouting.callSid, callSid));
      return row;
    },
    /** The campaign name each of some calls was routed under (from the stored plan), by sid. */
    async campaignNamesOf(callSids: string[]): Promise<Map<string, string | null>> {
      if (callSids.length === 0) return new Map();
      const rows = await db
        .select({
          callSid: callRouting.callSid,
          name: sql<string | null>`${callRouting.plan} ->> 'campaignName'`,
        })
        .from(callRouting)
        .where(inArray(callRouting.callSid, callSids));
      return new Map(rows.map((r) => [r.callSid, r.name]));
    },
    findMany: (callSids: string[]): Promise<CallRoutingRow[]> =>
      callSids.length === 0
        ? Promise.resolve([])
        : db.select().from(callRouting).where(inArray(callRouting.callSid, callSids)),
    async saveAttempts(
      callSid: string,
      attempts: StoredAttempt[],
      winner?: string | null,
    ): Promise<void> {
      await db
        .update(callRouting)
        .set({ attempts, ...(winner !== undefined ? { winner } : {}), updatedAt: sql`now()` })
        .where(eq(callRouting.callSid, callSid));
    },

    /** Privacy: forgets where these calls' callers were (the place, agent distances, caller id). */
    async forgetCallerPlace(callSids: string[]): Promise<number> {
      if (callSids.length === 0) return 0;
      const erased = { lat: null, lon: null, how: 'unknown' };
      const rows = await db.execute<{ call_sid: string }>(sql`
        update call_routing r
           set caller_place = ${JSON.stringify(erased)}::jsonb,
               candidates = coalesce(
                 (select jsonb_agg(case when jsonb_typeof(c) = 'object'
                                        then jsonb_set(c, '{km}', 'null'::jsonb) else c end order by n)
                    from jsonb_array_elements(r.candidates) with ordinality as e(c, n)),
                 '[]'::jsonb),
               plan = case when r.plan is null then null else r.plan - 'from' end,
               updated_at = now()
         where r.call_sid in (select jsonb_array_elements_text(${JSON.stringify(callSids)}::jsonb))
           and (r.caller_place is distinct from ${JSON.stringify(erased)}::jsonb
                or coalesce(r.plan ? 'from', false)
                or exists (select 1 from jsonb_array_elements(r.candidates) c
                            where jsonb_typeof(c->'km') = 'number'))
        returning r.call_sid`);
      return Array.isArray(rows) ? rows.length : ((rows as { rows?: unknown[] }).rows?.length ?? 0);
    },

    /**
     * Privacy: forgets what people wrote about these calls (disposition notes, follow-up
     * outcomes); labels and follow-up states stay for the reports. Returns the rows changed.
     */
    async forgetCallerNotes(callSids: string[]): Promise<number> {
      if (callSids.length === 0) return 0;
      const notes = await db
        .update(callDispositions)
        .set({ note: null })
        .where(and(inArray(callDispositions.callSid, callSids), isNotNull(callDispositions.note)))
        .returning({ callSid: callDispositions.callSid });
      const outcomes = await db
        .update(followUps)
        .set({ outcome: ERASED_OUTCOME })
        .where(
          and(
            inArray(followUps.callSid, callSids),
            isNotNull(followUps.outcome),
            ne(followUps.outcome, ERASED_OUTCOME),
          ),
        )
        .returning({ callSid: followUps.callSid });
      return notes.length + outcomes.length;
    },
  };
}
export type RoutingRepo = ReturnType<typeof createRoutingRepo>;
