import { desc, gte } from 'drizzle-orm';
import { privacyErasures, privacyRetentionRuns } from '../../db/schema';
import type { Db } from '../shared/db';

export type ErasureRow = typeof privacyErasures.$inferSelect;

/** Privacy's own tables: the erasure audit log and the retention runs. */
export function createPrivacyRepo(db: Db) {
  return {
    async recordErasure(row: Omit<ErasureRow, 'id'>): Promise<ErasureRow> {
      const [created] = await db.insert(privacyErasures).values(row).returning();
      if (!created) throw new Error('erasure audit insert returned nothing');
      return created;
    },
    async listErasures(limit: number): Promise<ErasureRow[]> {
      return db
        .select()
        .from(privacyErasures)
        .orderBy(desc(privacyErasures.requestedAt))
        .limit(limit);
    },
    /** Fingerprints of the erasures recorded at or after `since` (oldest first). */
    async erasuresSince(
      since: Date,
    ): Promise<Pick<ErasureRow, 'numberHash' | 'salt' | 'requestedAt'>[]> {
      return db
        .select({
          numberHash: privacyErasures.numberHash,
          salt: privacyErasures.salt,
          requestedAt: privacyErasures.requestedAt,
        })
        .from(privacyErasures)
        .where(gte(privacyErasures.requestedAt, since))
        .orderBy(privacyErasures.requestedAt);
    },
    async recordRetentionRun(row: {
      startedAt: Date;
      finishedAt: Date;
      touched: Record<string, number>;
    }): Promise<void> {
      await db.insert(privacyRetentionRuns).values(row);
    },
  };
}
export type PrivacyRepo = ReturnType<typeof createPrivacyRepo>;
