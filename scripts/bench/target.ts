// The process under load: `floor` (bare express answering {}) or `leadline` (the real app).
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import express from 'express';
import postgres from 'postgres';
import { createApp } from '../../src/app';
import { createContext } from '../../src/context';
import { loadConfig } from '../../src/shared/config';
import { openDatabase } from '../../src/shared/db';
import { createLogger } from '../../src/shared/logger';
import { BENCH_PUBLIC_URL, scenarios } from './scenarios';

function send(msg: unknown) {
  process.stdout.write(`${JSON.stringify(msg)}\n`);
}

async function listen(handler: http.RequestListener): Promise<number> {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}

async function benchDatabaseUrl(base: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `leadline_bench_${Date.now().toString(36)}_${randomBytes(2).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}

async function main() {
  const mode = process.argv[2];
  if (mode === 'floor') {
    const app = express();
    app.disable('x-powered-by');
    app.all('/{*any}', (_req, res) => {
      res.json({});
    });
    send({ port: await listen(app) });
    return;
  }
  const base = process.env.DATABASE_URL;
  const bench = base ? await benchDatabaseUrl(base) : undefined;
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: bench?.url ?? '',
    LOG_LEVEL: 'silent',
    LEADLINE_ADMIN_KEY: process.env.LEADLINE_ADMIN_KEY ?? 'bench-admin-key-0123456789',
    PUBLIC_BASE_URL: BENCH_PUBLIC_URL,
    DNI_RATE_LIMIT_PER_MINUTE: '100000000',
  });
  const database = await openDatabase({ url: config.DATABASE_URL, dataDir: null, poolSize: 10 });
  const ctx = createContext({ config, database, logger: createLogger('silent') });
  const seeded: Record<string, unknown> = {};
  for (const s of scenarios) seeded[s.name] = await s.seed(ctx);
  const port = await listen(createApp(ctx));
  send({ port, database: database.kind, seeded });
  const stop = async () => {
    await database.close();
    await bench?.drop();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`bench target failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
