// A Leadline inside the simulate process (--in-process, --salesforce): demo mode (the carrier
// simulator plays the calls, numbers are fictional), an embedded database in memory unless one is
// handed in, listening on 127.0.0.1 on a free port. Nothing is left behind when it stops.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/app';
import { createContext, type AppContext } from '../../src/context';
import { DEMO_TWILIO_ACCOUNT_SID, loadConfig } from '../../src/shared/config';
import { openDatabase, type Database } from '../../src/shared/db';
import { createLogger } from '../../src/shared/logger';

export interface InProcessLeadline {
  ctx: AppContext;
  /** Where it listens, which is also its PUBLIC_BASE_URL (signatures are checked against it). */
  base: string;
  adminKey: string;
  authToken: string;
  accountSid: string;
  close(): Promise<void>;
}

/**
 * Starts Leadline as `npm start` does in demo mode (context started, demo agents seeded), with
 * `env` over the process's own environment (e.g. the Salesforce stand-in's SF_* variables).
 */
export async function startLeadlineInProcess(
  opts: { env?: Record<string, string>; database?: Database; logLevel?: string } = {},
): Promise<InProcessLeadline> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const adminKey = `simulate-${randomBytes(16).toString('hex')}`;
  // Its own webhook journal: a Leadline running from this checkout holds ./data/journal's lock.
  const journalDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadline-simulate-'));
  const config = loadConfig({
    ...process.env,
    // Demo mode, whatever the shell says: the carrier simulator is the only carrier here.
    TWILIO_ACCOUNT_SID: '',
    TWILIO_AUTH_TOKEN: '',
    TWILIO_API_BASE_URL: '',
    SF_INSTANCE_URL: '',
    SF_ACCESS_TOKEN: '',
    SF_LOGIN_URL: '',
    SF_CLIENT_ID: '',
    SF_CLIENT_SECRET: '',
    SF_REFRESH_TOKEN: '',
    DATABASE_URL: '',
    LOG_LEVEL: opts.logLevel ?? 'warn',
    LEADLINE_ADMIN_KEY: adminKey,
    PUBLIC_BASE_URL: base,
    WEBHOOK_JOURNAL_DIR: journalDir,
    ...opts.env,
  });
  const database = opts.database ?? (await openDatabase({ dataDir: null }));
  const ctx = createContext({ config, database, logger: createLogger(config.LOG_LEVEL) });
  await ctx.demo.seed();
  await ctx.start();
  server.on('request', createApp(ctx));
  ctx.demo.setSelfUrl(base);
  return {
    ctx,
    base,
    adminKey,
    authToken: config.twilioAuthToken,
    accountSid: DEMO_TWILIO_ACCOUNT_SID,
    async close() {
      await ctx.stop();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      if (!opts.database) await database.close();
      fs.rmSync(journalDir, { recursive: true, force: true });
    },
  };
}
