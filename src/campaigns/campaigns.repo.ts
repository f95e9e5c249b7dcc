import { and, asc, eq, isNull } from 'drizzle-orm';
import { campaigns, sites } from '../../db/schema';
import type { DbOrTx } from '../shared/db';

export type SiteRow = typeof sites.$inferSelect;
export type CampaignRow = typeof campaigns.$inferSelect;
type NewSite = typeof sites.$inferInsert;
type NewCampaign = typeof campaigns.$inferInsert;

export function createCampaignsRepo(db: DbOrTx) {
  return {
    async insertSite(row: NewSite): Promise<SiteRow> {
      const [created] = await db.insert(sites).values(row).returning();
      if (!created) throw new Error('site insert returned nothing');
      return created;
    },
    async updateSite(id: string, patch: Partial<NewSite>): Promise<SiteRow | undefined> {
      const [row] = await db
        .update(sites)
        .set({ ...patch, updatedAt: new Date() })
        .where(eq(sites.id, id))
        .returning();
      return row;
    },
    async listSites(): Promise<SiteRow[]> {
      return db.select().from(sites).orderBy(asc(sites.createdAt));
    },
    async findSite(id: string): Promise<SiteRow | undefined> {
      const [row] = await db.select().from(sites).where(eq(sites.id, id));
      return row;
    },
    async findSiteByKey(siteKey: string): Promise<SiteRow | undefined> {
      const [row] = await db.select().from(sites).where(eq(sites.siteKey, siteKey));
      return row;
    },
    async insertCampaign(row: NewCampaign): Promise<CampaignRow> {
      const [created] = await db.insert(campaigns).values(row).returning();
      if (!created) throw new Error('campaign insert returned nothing');
      return created;
    },
    async updateCampaign(
      id: string,
      patch: Partial<NewCampaign>,
    ): Promise<CampaignRow | undefined> {
      const [row] = await db
        .update(campaigns)
        .set({ ...patch, updatedAt: new Date() })
        .where(eq(campaigns.id, id))
        .returning();
      return row;
    },
    async findCampaign(id: string): Promise<CampaignRow | undefined> {
      const [row] = await db.select().from(campaigns).where(eq(campaigns.id, id));
      return row;
    },
    async listCampaigns(siteId?: string): Promise<CampaignRow[]> {
      const live = isNull(campaigns.archivedAt);
      return db
        .select()
        .from(campaigns)
        .where(siteId ? and(live, eq(campaigns.siteId, siteId)) : live)
        .orderBy(asc(campaigns.createdAt));
    },
  };
}
export type CampaignsRepo = ReturnType<typeof createCampaignsRepo>;
