import type { Express } from 'express';
import { createApp } from '../../src/app';
import { createContext, type AppContext } from '../../src/context';
import { loadConfig } from '../../src/shared/config';
import { createLogger } from '../../src/shared/logger';
import type { Clock } from '../../src/shared/clock';
import type { TwilioNumbersApi } from '../../src/shared/twilio';
import { openTestDatabase } from './database';
import { startTestTwilio } from './twilio';
import type { TwilioStandin } from '../../src/demo/twilio-rest/standin';

export const TEST_ADMIN_KEY = 'test-admin-key-0123456789abcdef';

export interface TestContext {
  ctx: AppContext;
  app: Express;
  adminKey: string;
  /** `Authorization` header value for the admin key. */
  admin: string;
  databaseUrl?: string;
  /** Twilio's REST stand-in the context talks to (with `twilio: true`). */
  twilio?: TwilioStandin;
  close(): Promise<void>;
}

/** createApp() over a fresh database, with the real services and an optional clock. */
export async function createTestContext(
  opts: {
    env?: Record<string, string>;
    clock?: Clock;
    twilioNumbers?: TwilioNumbersApi;
    /** Start a Twilio REST stand-in and point the context's Twilio credentials at it. */
    twilio?: boolean;
  } = {},
): Promise<TestContext> {
  const tw = opts.twilio ? await startTestTwilio() : undefined;
  const { database, url, drop } = await openTestDatabase();
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    LEADLINE_ADMIN_KEY: TEST_ADMIN_KEY,
    PUBLIC_BASE_URL: 'https://leadline.test',
    ...(url ? { DATABASE_URL: url } : {}),
    ...tw?.env,
    ...opts.env,
  });
  const logger = createLogger(config.LOG_LEVEL);
  const ctx = createContext({
    config,
    database,
    logger,
    clock: opts.clock,
    twilioNumbers: opts.twilioNumbers,
  });
  await ctx.start();
  const app = createApp(ctx);
  return {
    ctx,
    app,
    adminKey: TEST_ADMIN_KEY,
    admin: `Bearer ${TEST_ADMIN_KEY}`,
    databaseUrl: url,
    twilio: tw?.standin,
    async close() {
      await ctx.stop();
      await drop();
      await tw?.standin.close();
    },
  };
}
