import http from 'node:http';
import { createApp } from './app';
import { createContext } from './context';
import { ConfigError, loadConfig } from './shared/config';
import { openDatabase } from './shared/db';
import { createLogger } from './shared/logger';

/** Starts Leadline: config, database (migrated), HTTP; stops cleanly on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`leadline: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL);
  const database = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR });
  const ctx = createContext({ config, database, logger });

  const bootstrapKey = await ctx.keys.ensureBootstrapAdmin();
  if (bootstrapKey) {
    // Printed once, to the terminal only: it is never stored in plain text.
    process.stdout.write(
      `\n  Leadline created an admin API key (shown only now):\n\n    ${bootstrapKey}\n\n`,
    );
  }

  await ctx.demo.seed();
  await ctx.start();
  const app = createApp(ctx);
  const server = http.createServer(app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(config.PORT, config.HOST, resolve));
  const selfHost = ['0.0.0.0', '::'].includes(config.HOST) ? '127.0.0.1' : config.HOST;
  ctx.demo.setSelfUrl(
    `http://${selfHost.includes(':') ? `[${selfHost}]` : selfHost}:${config.PORT}`,
  );
  logger.info(
    {
      port: config.PORT,
      database: database.kind,
      demoMode: config.demoMode,
      publicBaseUrl: config.publicBaseUrl,
    },
    config.demoMode
      ? `leadline listening (demo mode: no Twilio credentials, fictional numbers and simulated calls; open ${config.publicBaseUrl}/)`
      : 'leadline listening',
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      logger.warn('shutdown timed out; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    server.close(async () => {
      await ctx.stop();
      await database.close();
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(
    `leadline: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`,
  );
  process.exit(1);
});
