import { and, asc, eq, getTableColumns, gte, isNull, lt, or, sql } from 'drizzle-orm';
import { agents } from '../../db/schema';
import type { Database } from '../shared/db';
import { decisionParams, type NewCallRouting } from './routing.repo';

export type AgentRow = typeof agents.$inferSelect;
export type NewAgent = typeof agents.$inferInsert;
export type Presence = AgentRow['presence'];

/**
 * Claims a free agent for a call ($1 call, $2 since, $3 agent, $4 seen after, $5 stale before)
 * and, when $6 is true, stores the call's routing decision that dials them ($7…$11, see
 * routing.repo's decisionParams) in the same statement. Fixed text, prepared once.
 */
const CLAIM_SQL = `
  with claimed as (
    update agents set on_call_sid = $1, on_call_since = $2::timestamptz, updated_at = now()
    where id = $3::uuid and active = true and presence = 'available'
      and last_seen_at > $4::timestamptz
      and (on_call_sid is null or on_call_since < $5::timestamptz)
    returning *
  ), decided as (
    insert into call_routing (call_sid, campaign_id, caller_place, candidates, winner, attempts, plan)
    select $1, $7::uuid, $8::jsonb, $9::jsonb, claimed.id,
      jsonb_set($10::jsonb, '{0,number}', to_jsonb(claimed.phone)), $11::jsonb
    from claimed where $6::boolean
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

/** The agents table: plain rows; every write bumps updated_at so other nodes see the change. */
export function createAgentsRepo(database: Database) {
  const { db } = database;
  const touched = { updatedAt: sql`now()` };
  return {
    async insert(row: NewAgent): Promise<AgentRow> {
      const [created] = await db.insert(agents).values(row).returning();
      if (!created) throw new Error('agent insert returned nothing');
      return created;
    },
    list: (): Promise<AgentRow[]> => db.select().from(agents).orderBy(asc(agents.createdAt)),
    async find(id: string): Promise<AgentRow | undefined> {
      const [row] = await db.select().from(agents).where(eq(agents.id, id));
      return row;
    },
    async findByTokenHash(tokenHash: string): Promise<AgentRow | undefined> {
      const [row] = await db.select().from(agents).where(eq(agents.tokenHash, tokenHash));
      return row;
    },
    async update(id: string, patch: Partial<NewAgent>): Promise<AgentRow | undefined> {
      const [row] = await db
        .update(agents)
        .set({ ...patch, ...touched })
        .where(eq(agents.id, id))
        .returning();
      return row;
    },
    /** Rows changed at or after `since` (another node's edits, presence and calls). */
    changedSince: (since: Date): Promise<AgentRow[]> =>
      db.select().from(agents).where(gte(agents.updatedAt, since)),
    async setPresence(id: string, presence: Presence, at: Date): Promise<AgentRow | undefined> {
      const [row] = await db
        .update(agents)
        .set({
          presence,
          lastSeenAt: at,
          // Waiting starts when an agent becomes available, unless an earlier wait is still on.
          idleSince:
            presence === 'available'
              ? sql`coalesce(${agents.idleSince}, ${at.toISOString()}::timestamptz)`
              : null,
          ...touched,
        })
        .where(eq(agents.id, id))
        .returning();
      return row;
    },
    /**
     * Heartbeat: the consoles of these agents are still connected. It bumps updated_at too, so
     * other nodes' views (which sync on it) keep counting these agents as present.
     */
    async touch(ids: string[], at: Date): Promise<void> {
      if (!ids.length) return;
      await db
        .update(agents)
        .set({ lastSeenAt: at, ...touched })
        .where(sql`${agents.id} in ${ids}`);
    },
    /**
     * Marks an agent as on this call, only if they are still free: one statement, so two calls
     * (on any nodes) never dial the same agent. A call held longer than `staleBefore` is presumed
     * lost (its final callback never came) and does not block the agent. With `decision`, the
     * same statement stores the call's routing decision that dials them (one round trip, one
     * commit), only if the claim won; its first attempt names the claimed row's phone, which the
     * TwiML dials, even if the caller's view of the agent is older.
     */
    async claim(
      id: string,
      callSid: string,
      at: Date,
      opts: { seenAfter: Date; staleBefore: Date },
      decision?: Omit<NewCallRouting, 'callSid' | 'winner'>,
    ): Promise<AgentRow | undefined> {
      const [raw] = await database.query<Record<string, unknown>>(CLAIM_SQL, [
        callSid,
        at.toISOString(),
        id,
        opts.seenAfter.toISOString(),
        opts.staleBefore.toISOString(),
        decision !== undefined,
        ...decisionParams(decision ?? {}),
      ]);
      return raw ? agentRowOf(raw) : undefined;
    },
    /**
     * Marks an agent as on a call they place themselves (a follow-up callback), only if they are
     * not on another call: presence and heartbeat do not matter, they asked for it.
     */
    async claimForCallback(
      id: string,
      key: string,
      at: Date,
      opts: { staleBefore: Date },
    ): Promise<AgentRow | undefined> {
      const [row] = await db
        .update(agents)
        .set({ onCallSid: key, onCallSince: at, ...touched })
        .where(
          and(
            eq(agents.id, id),
            eq(agents.active, true),
            or(isNull(agents.onCallSid), lt(agents.onCallSince, opts.staleBefore)),
          ),
        )
        .returning();
      return row;
    },
    /** Frees the agents on a call (or one of them); their wait for the next call starts now. */
    release: (callSid: string, at: Date, agentId?: string): Promise<AgentRow[]> =>
      db
        .update(agents)
        .set({ onCallSid: null, onCallSince: null, idleSince: at, ...touched })
        .where(
          agentId
            ? and(eq(agents.onCallSid, callSid), eq(agents.id, agentId))
            : eq(agents.onCallSid, callSid),
        )
        .returning(),
  };
}
export type AgentsRepo = ReturnType<typeof createAgentsRepo>;
