import { inArray, sql } from 'drizzle-orm';
import { callDispositions } from '../../db/schema';
import type { DbOrTx } from '../shared/db';

export type DispositionRow = typeof callDispositions.$inferSelect;
export type NewDisposition = typeof callDispositions.$inferInsert;

/** call_dispositions: the current disposition of each call (a new one replaces the old). */
export function createDispositionsRepo(db: DbOrTx) {
  return {
    async upsert(row: NewDisposition): Promise<DispositionRow> {
      const [saved] = await db
        .insert(callDispositions)
        .values(row)
        .onConflictDoUpdate({
          target: callDispositions.callSid,
          set: {
            label: sql`excluded.label`,
            note: sql`excluded.note`,
            agentId: sql`excluded.agent_id`,
            at: sql`excluded.at`,
          },
        })
        .returning();
      if (!saved) throw new Error('disposition upsert returned nothing');
      return saved;
    },
    async findMany(callSids: string[]): Promise<DispositionRow[]> {
      if (callSids.length === 0) return [];
      return db.select().from(callDispositions).where(inArray(callDispositions.callSid, callSids));
    },
  };
}
export type DispositionsRepo = ReturnType<typeof createDispositionsRepo>;
