import { and, desc, eq, isNull } from 'drizzle-orm';
import { apiKeys } from '../../db/schema';
import type { DbOrTx } from '../shared/db';
import type { Role } from '../shared/auth';

export type ApiKeyRow = typeof apiKeys.$inferSelect;

export function createKeysRepo(db: DbOrTx) {
  return {
    async insert(row: {
      name: string;
      role: Role;
      keyHash: string;
      keyPrefix: string;
      expiresAt?: Date | null;
    }) {
      const [created] = await db.insert(apiKeys).values(row).returning();
      if (!created) throw new Error('api key insert returned nothing');
      return created;
    },
    /** The key with this hash, revoked or not (one lookup on the unique index). */
    async findByHash(keyHash: string): Promise<ApiKeyRow | undefined> {
      const [row] = await db.select().from(apiKeys).where(eq(apiKeys.keyHash, keyHash)).limit(1);
      return row;
    },
    async list(): Promise<ApiKeyRow[]> {
      return db.select().from(apiKeys).orderBy(desc(apiKeys.createdAt));
    },
    /** Sets revoked_at once; answers the row (revoked now or before), or undefined if unknown. */
    async revoke(id: string, at: Date): Promise<ApiKeyRow | undefined> {
      await db
        .update(apiKeys)
        .set({ revokedAt: at })
        .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)));
      const [row] = await db.select().from(apiKeys).where(eq(apiKeys.id, id));
      return row;
    },
    async countLive(role: Role): Promise<number> {
      const rows = await db
        .select({ id: apiKeys.id })
        .from(apiKeys)
        .where(and(eq(apiKeys.role, role), isNull(apiKeys.revokedAt)));
      return rows.length;
    },
  };
}
export type KeysRepo = ReturnType<typeof createKeysRepo>;
