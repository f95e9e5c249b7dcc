// The process under load: `floor` (bare express answering {}) or `leadline` (the real app, as
// `npm start` runs it in production: NODE_ENV=production, the default log level, logs on stdout,
// context started). It reports its port over the IPC channel, since stdout carries the logs.
import fs from 'node:fs';
import http from 'node:http';
import { Session } from 'node:inspector/promises';
import express from 'express';
import { loadConfig } from '../../src/shared/config';
import { createLogger } from '../../src/shared/logger';
import { startLeadline } from '../../src/start';
import { benchDatabaseUrl, benchDataDir } from './database';
import { BENCH_DNI_RATE_LIMIT, BENCH_PUBLIC_URL, scenarios } from './scenarios';

function send(msg: unknown) {
  if (process.send) process.send(msg);
}

async function listen(handler: http.RequestListener): Promise<number> {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}

/** CPU time this process has used (µs), asked before and after each row: a figure that other
 * load on the machine does not inflate, unlike latency. */
function answerCpu() {
  let profiler: Session | undefined;
  process.on('message', (msg: { type?: string; file?: string }) => {
    if (msg.type !== 'cpu') return;
    void (async () => {
      // With a file named, the row is also profiled: started on the first ask, written on the next.
      if (msg.file && !profiler) {
        profiler = new Session();
        profiler.connect();
        await profiler.post('Profiler.enable');
        await profiler.post('Profiler.start');
      } else if (msg.file && profiler) {
        const { profile } = await profiler.post('Profiler.stop');
        fs.writeFileSync(msg.file, JSON.stringify(profile));
        profiler.disconnect();
        profiler = undefined;
      }
      const { user, system } = process.cpuUsage();
      send({ type: 'cpu', micros: user + system });
    })();
  });
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
    answerCpu();
    return;
  }
  const base = process.env.DATABASE_URL;
  const bench = base ? await benchDatabaseUrl('http') : undefined;
  const dataDir = benchDataDir('http');
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: bench?.url ?? '',
    DATA_DIR: dataDir,
    // The default level, whatever the caller's environment says.
    LOG_LEVEL: '',
    LEADLINE_ADMIN_KEY: process.env.LEADLINE_ADMIN_KEY ?? 'bench-admin-key-0123456789',
    PUBLIC_BASE_URL: BENCH_PUBLIC_URL,
    // The one change from production: a single load client must not hit the per-IP limit.
    DNI_RATE_LIMIT_PER_MINUTE: String(BENCH_DNI_RATE_LIMIT),
  });
  // Started as `npm start` starts it (src/start.ts): context, socket.io on the same server, the
  // demo seed when there are no Twilio credentials; on a port of the system's choosing.
  const running = await startLeadline(
    { ...config, PORT: 0, HOST: '127.0.0.1' },
    createLogger(config.LOG_LEVEL),
  );
  const { ctx, database } = running;
  const seeded: Record<string, unknown> = {};
  for (const s of scenarios) seeded[s.name] = await s.seed(ctx);
  send({ port: running.port, database: database.kind, logLevel: config.LOG_LEVEL, seeded });
  answerCpu();
  // The bench asks, after each row, how often leasing overflowed (shared a number).
  process.on('message', (msg: { type?: string; scenario?: string }) => {
    if (msg.type !== 'overflow' || !msg.scenario) return;
    const scenario = scenarios.find((s) => s.name === msg.scenario);
    void (scenario?.overflow?.(ctx, seeded[msg.scenario]) ?? Promise.resolve(null)).then((n) =>
      send({ type: 'overflow', scenario: msg.scenario, overflow: n }),
    );
  });
  const stop = async () => {
    await running.stop();
    await bench?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`bench target failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
