import { and, eq, getTableColumns, inArray, isNotNull, ne, sql } from 'drizzle-orm';
import {
  agents,
  callDispositions,
  callRouting,
  followUps,
  type StoredAttempt,
} from '../../db/schema';
import type { Database } from '../shared/db';
import type { AgentRow } from './agents.repo';

export type CallRoutingRow = typeof callRouting.$inferSelect;
export type NewCallRouting = typeof callRouting.$inferInsert;

/** What an erased follow-up's outcome reads (a closed follow-up keeps having one). */
export const ERASED_OUTCOME = '[erased]';

/** Fixed text, so the driver prepares it once: one decision is stored for every incoming call. */
const INSERT_DECISION_SQL = `
  insert into call_routing (call_sid, campaign_id, caller_place, candidates, winner, attempts, plan)
  values ($1, $2::uuid, $3::jsonb, $4::jsonb, $5::uuid, $6::jsonb, $7::jsonb)
  on conflict (call_sid) do nothing`;

/**
 * Claims an agent for a call and stores the call's routing decision in one statement (one round
 * trip, one commit): the agent only if they are still free (as agents.repo's claim), the decision
 * only if the claim won. Nothing is written when it lost. The first attempt's number is the
 * claimed row's phone, which the TwiML dials, even if this node's view of the agent is older.
 */
const CLAIM_AND_DECIDE_SQL = `
  with claimed as (
    update agents set on_call_sid = $1, on_call_since = $2::timestamptz, updated_at = now()
    where id = $3::uuid and active = true and presence = 'available'
      and last_seen_at > $4::timestamptz
      and (on_call_sid is null or on_call_since < $5::timestamptz)
    returning *
  ), decided as (
    insert into call_routing (call_sid, campaign_id, caller_place, candidates, winner, attempts, plan)
    select $1, $6::uuid, $7::jsonb, $8::jsonb, claimed.id,
      jsonb_set($9::jsonb, '{0,number}', to_jsonb(claimed.phone)), $10::jsonb
    from claimed
    on conflict (call_sid) do nothing
  )
  select * from claimed`;

const agentColumns = Object.entries(getTableColumns(agents));
/** A raw agents row (column names) as drizzle's AgentRow (field names and types). */
function agentRowOf(raw: Record<string, unknown>): AgentRow {
  const row: Record<string, unknown> = {};
  for (const [key, col] of agentColumns) {
    const v = raw[col.name];
    row[key] = v === null || v === undefined ? null : col.mapFromDriverValue(v);
  }
  return row as AgentRow;
}

const jsonOrNull = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));

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
        row.campaignId ?? null,
        jsonOrNull(row.callerPlace),
        jsonOrNull(row.candidates),
        row.winner ?? null,
        jsonOrNull(row.attempts),
        jsonOrNull(row.plan),
      ]);
    },
    /**
     * Claims the agent for the call if they are still free and, if so, stores the decision that
     * dials them, in one statement. The claimed agent's row, or undefined when another call won.
     */
    async claimAndDecide(
      claim: { agentId: string; callSid: string; at: Date; seenAfter: Date; staleBefore: Date },
      row: Omit<NewCallRouting, 'callSid' | 'winner'>,
    ): Promise<AgentRow | undefined> {
      const [raw] = await database.query<Record<string, unknown>>(CLAIM_AND_DECIDE_SQL, [
        claim.callSid,
        claim.at.toISOString(),
        claim.agentId,
        claim.seenAfter.toISOString(),
        claim.staleBefore.toISOString(),
        row.campaignId ?? null,
        jsonOrNull(row.callerPlace),
        jsonOrNull(row.candidates),
        jsonOrNull(row.attempts),
        jsonOrNull(row.plan),
      ]);
      return raw ? agentRowOf(raw) : undefined;
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
