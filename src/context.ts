import type { Config } from './shared/config';
import type { Database } from './shared/db';
import type { Logger } from './shared/logger';
import { systemClock, type Clock } from './shared/clock';
import { createKeysRepo } from './keys/keys.repo';
import { createKeyService } from './keys/keys.service';
import { createCampaignsRepo } from './campaigns/campaigns.repo';
import { createCampaignService } from './campaigns/campaigns.service';

export interface ContextDeps {
  config: Config;
  database: Database;
  logger: Logger;
  clock?: Clock;
}

/** Builds every service from its repos once; the app, the server and scripts share it. */
export function createContext(deps: ContextDeps) {
  const { config, database, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const db = database.db;
  const keys = createKeyService({ keys: createKeysRepo(db), adminKey: config.LEADLINE_ADMIN_KEY });
  const campaigns = createCampaignService({ repo: createCampaignsRepo(db) });
  return { config, database, logger, clock, keys, campaigns };
}
export type AppContext = ReturnType<typeof createContext>;
