import { and, eq, isNull } from 'drizzle-orm';
import { apiKeys } from '../../db/schema';
import type { DbOrTx } from '../shared/db';
import type { Role } from '../shared/auth';

export type ApiKeyRow = typeof apiKeys.$inferSelect;

export function createKeysRepo(db: DbOrTx) {
  return {
    async insert(row: { name: string; role: Role; keyHash: string; keyPrefix: string }) {
      const [created] = await db.insert(apiKeys).values(row).returning();
      if (!created) throw new Error('api key insert returned nothing');
      return created;
    },
    async findLiveByHash(keyHash: string): Promise<ApiKeyRow | undefined> {
      const [row] = await db
        .select()
        .from(apiKeys)
        .where(and(eq(apiKeys.keyHash, keyHash), isNull(apiKeys.revokedAt)))
        .limit(1);
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
