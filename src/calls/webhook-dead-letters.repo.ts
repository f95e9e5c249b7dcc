import { desc, eq, like, sql } from 'drizzle-orm';
import { webhookDeadLetters } from '../../db/schema';
import type { Db } from '../shared/db';

export type DeadLetterRow = typeof webhookDeadLetters.$inferSelect;

export interface NewDeadLetter {
  dedupeKey: string;
  kind: string;
  callSid: string | null;
  params: Record<string, string>;
  receivedAt: Date;
  error: string;
  attempts: number;
}

/** The webhook dead-letter store (table `webhook_dead_letters`, owned by calls). */
export function createDeadLettersRepo(db: Db) {
  return {
    /** Keeps a webhook that could not be stored; the same webhook again updates its row. */
    async put(d: NewDeadLetter): Promise<void> {
      const params = JSON.stringify(d.params);
      await db
        .insert(webhookDeadLetters)
        .values({ ...d, params })
        .onConflictDoUpdate({
          target: webhookDeadLetters.dedupeKey,
          set: {
            error: d.error,
            attempts: sql`${webhookDeadLetters.attempts} + ${d.attempts}`,
            updatedAt: new Date(),
          },
        });
    },

    async list(limit: number): Promise<DeadLetterRow[]> {
      return db
        .select()
        .from(webhookDeadLetters)
        .orderBy(desc(webhookDeadLetters.createdAt))
        .limit(limit);
    },

    async count(): Promise<number> {
      const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(webhookDeadLetters);
      return row?.n ?? 0;
    },

    async find(id: string): Promise<DeadLetterRow | undefined> {
      const [row] = await db.select().from(webhookDeadLetters).where(eq(webhookDeadLetters.id, id));
      return row;
    },

    async remove(id: string): Promise<void> {
      await db.delete(webhookDeadLetters).where(eq(webhookDeadLetters.id, id));
    },

    /** Dead letters whose params hold this exact value (as a JSON string). */
    async mentioning(value: string): Promise<DeadLetterRow[]> {
      const needle = JSON.stringify(value).replace(/[\\%_]/g, (c) => `\\${c}`);
      return db
        .select()
        .from(webhookDeadLetters)
        .where(like(webhookDeadLetters.params, `%${needle}%`));
    },

    async replaceParams(id: string, params: Record<string, string>): Promise<void> {
      await db
        .update(webhookDeadLetters)
        .set({ params: JSON.stringify(params), updatedAt: new Date() })
        .where(eq(webhookDeadLetters.id, id));
    },

    async failedAgain(id: string, error: string): Promise<void> {
      await db
        .update(webhookDeadLetters)
        .set({
          error,
          attempts: sql`${webhookDeadLetters.attempts} + 1`,
          updatedAt: new Date(),
        })
        .where(eq(webhookDeadLetters.id, id));
    },
  };
}
export type DeadLettersRepo = ReturnType<typeof createDeadLettersRepo>;
