import http from 'node:http';
import { createApp } from './app';
import { createContext } from './context';
import { JournalInUseError } from './calls/webhook-journal';
import { attachAgentSockets } from './routing/agent-sockets';
import { ConfigError, loadConfig } from './shared/config';
import { DatabaseMissingError, DataDirInUseError, openDatabase } from './shared/db';
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
  if (config.demoMode) {
    // The first thing a newcomer reads: why the numbers are fictional (README promises this line).
    logger.info(
      { demoMode: true },
      'demo mode: no Twilio credentials, so Leadline sells fictional numbers and plays simulated calls',
    );
  }
  const database = await openDatabase({
    url: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    poolSize: config.DATABASE_POOL_SIZE,
  });
  const ctx = createContext({ config, database, logger });

  const bootstrapKey = await ctx.keys.ensureBootstrapAdmin();
  if (bootstrapKey) {
    // Printed once, to the terminal only: it is never stored in plain text.
    process.stdout.write(
      `\n  Leadline created an admin API key (shown only now):\n\n    ${bootstrapKey}\n\n`,
    );
  }

  const demoAgents = await ctx.demo.seed();
  if (demoAgents.length > 0) {
    // Like the admin key: shown once, to the terminal only (stored hashed).
    const lines = demoAgents.map((a) => `    ${a.name.padEnd(24)} ${a.token}`).join('\n');
    process.stdout.write(
      `\n  Demo agents' console tokens for ${config.publicBaseUrl}/agent (shown only now):\n\n${lines}\n\n`,
    );
  }
  await ctx.start();
  const app = createApp(ctx);
  const server = http.createServer(app);
  server.keepAliveTimeout = 65_000;
  // Agents' consoles (socket.io namespace /agents): presence and screen-pops.
  const agentSockets = attachAgentSockets(server, ctx);
  await listen(server, config.PORT, config.HOST).catch(async (err: unknown) => {
    await database.close().catch(() => undefined);
    throw err;
  });
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
    // Open consoles would hold server.close() until the forced exit.
    void agentSockets.close();
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

/** The port is taken (another Leadline, most likely): said in one line, no stack trace. */
class PortInUseError extends Error {
  constructor(port: number) {
    super(`port ${port} is already in use; set PORT to another port`);
  }
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(port) : err),
    );
    server.listen(port, host, resolve);
  });
}

main().catch((err) => {
  // What the operator can fix is said in one line that says how; anything else in full.
  const fixable =
    err instanceof PortInUseError ||
    err instanceof DataDirInUseError ||
    err instanceof JournalInUseError ||
    err instanceof DatabaseMissingError;
  process.stderr.write(
    fixable
      ? `${err.message}\n`
      : `leadline: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`,
  );
  process.exit(1);
});
