import { eq, sql } from 'drizzle-orm';
import { callRouting, type StoredAttempt } from '../../db/schema';
import type { DbOrTx } from '../shared/db';

export type CallRoutingRow = typeof callRouting.$inferSelect;
export type NewCallRouting = typeof callRouting.$inferInsert;

/** call_routing: one decision per call, with its candidates and every attempt. */
export function createRoutingRepo(db: DbOrTx) {
  return {
    /** Stores the first decision; a retried webhook for the same call keeps the first one. */
    async insert(row: NewCallRouting): Promise<void> {
      await db.insert(callRouting).values(row).onConflictDoNothing();
    },
    async find(callSid: string): Promise<CallRoutingRow | undefined> {
      const [row] = await db.select().from(callRouting).where(eq(callRouting.callSid, callSid));
      return row;
    },
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
  };
}
export type RoutingRepo = ReturnType<typeof createRoutingRepo>;
