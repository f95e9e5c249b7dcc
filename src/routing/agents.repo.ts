import { and, asc, eq, gt, gte, isNull, lt, or, sql } from 'drizzle-orm';
import { agents } from '../../db/schema';
import type { DbOrTx } from '../shared/db';

export type AgentRow = typeof agents.$inferSelect;
export type NewAgent = typeof agents.$inferInsert;
export type Presence = AgentRow['presence'];

/** The agents table: plain rows; every write bumps updated_at so other nodes see the change. */
export function createAgentsRepo(db: DbOrTx) {
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
     * lost (its final callback never came) and does not block the agent.
     */
    async claim(
      id: string,
      callSid: string,
      at: Date,
      opts: { seenAfter: Date; staleBefore: Date },
    ): Promise<AgentRow | undefined> {
      const [row] = await db
        .update(agents)
        .set({ onCallSid: callSid, onCallSince: at, ...touched })
        .where(
          and(
            eq(agents.id, id),
            eq(agents.active, true),
            eq(agents.presence, 'available'),
            gt(agents.lastSeenAt, opts.seenAfter),
            or(isNull(agents.onCallSid), lt(agents.onCallSince, opts.staleBefore)),
          ),
        )
        .returning();
      return row;
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
