import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app';
import { createContext, type AppContext } from './context';
import { attachAgentSockets } from './routing/agent-sockets';
import type { Config } from './shared/config';
import { openDatabase, type Database } from './shared/db';
import type { Logger } from './shared/logger';

/** A Leadline that is listening, and how to stop it. */
export interface RunningLeadline {
  ctx: AppContext;
  database: Database;
  server: http.Server;
  /** The port it listens on (the one asked for, or the one the system chose for PORT=0). */
  port: number;
  /** Stops accepting, finishes in-flight requests, stops the context, closes the database. */
  stop(): Promise<void>;
}

/** The port is taken (another Leadline, most likely): said in one line, no stack trace. */
export class PortInUseError extends Error {
  constructor(port: number) {
    super(`port ${port} is already in use; set PORT to another port`);
  }
}

/**
 * Starts Leadline as `npm start` runs it: database (migrated) → context → `start()` → HTTP with
 * the agents' socket.io → listening. One path for the server and the benchmark, so what is
 * measured is what runs. `announce` gets what is shown once and never stored (a new admin key,
 * demo agents' console tokens).
 */
export async function startLeadline(
  config: Config,
  logger: Logger,
  opts: { announce?: (text: string) => void } = {},
): Promise<RunningLeadline> {
  const announce = opts.announce ?? (() => undefined);
  const database = await openDatabase({
    url: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    poolSize: config.DATABASE_POOL_SIZE,
  });
  const ctx = createContext({ config, database, logger });

  const bootstrapKey = await ctx.keys.ensureBootstrapAdmin();
  if (bootstrapKey) {
    // Printed once, to the terminal only: it is never stored in plain text.
    announce(`\n  Leadline created an admin API key (shown only now):\n\n    ${bootstrapKey}\n\n`);
  }
  const demoAgents = await ctx.demo.seed();
  if (demoAgents.length > 0) {
    // Like the admin key: shown once, to the terminal only (stored hashed).
    const lines = demoAgents.map((a) => `    ${a.name.padEnd(24)} ${a.token}`).join('\n');
    announce(
      `\n  Demo agents' console tokens for ${config.publicBaseUrl}/agent (shown only now):\n\n${lines}\n\n`,
    );
  }
  await ctx.start();
  const server = http.createServer(createApp(ctx));
  server.keepAliveTimeout = 65_000;
  // Agents' consoles (socket.io namespace /agents): presence and screen-pops.
  const agentSockets = attachAgentSockets(server, ctx);
  await listen(server, config.PORT, config.HOST).catch(async (err: unknown) => {
    await agentSockets.close().catch(() => undefined);
    await ctx.stop().catch(() => undefined);
    await database.close().catch(() => undefined);
    throw err;
  });
  const port = (server.address() as AddressInfo).port;
  const selfHost = ['0.0.0.0', '::'].includes(config.HOST) ? '127.0.0.1' : config.HOST;
  ctx.demo.setSelfUrl(`http://${selfHost.includes(':') ? `[${selfHost}]` : selfHost}:${port}`);

  return {
    ctx,
    database,
    server,
    port,
    async stop() {
      // Open consoles would hold server.close() until they left.
      void agentSockets.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      await ctx.stop();
      await database.close();
    },
  };
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(port) : err),
    );
    server.listen(port, host, resolve);
  });
}
