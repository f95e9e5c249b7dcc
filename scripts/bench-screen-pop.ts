// Webhook → screen-pop latency: a Leadline process (NODE_ENV=production, default log level, with
// the agents' socket.io namespace) and, in this process, one agent's console. Each call posts a
// signed /twilio/voice and times until that agent's socket receives `screen-pop`; then the call
// is completed (a signed status callback) and the next starts once `call-ended` arrives.
// Used by `npm run bench`; `tsx scripts/bench-screen-pop.ts` runs it alone.
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { benchDatabaseUrl } from './bench/database';
import { io as connect } from 'socket.io-client';
import { createApp } from '../src/app';
import { createContext } from '../src/context';
import { attachAgentSockets } from '../src/routing/agent-sockets';
import { DEMO_TWILIO_ACCOUNT_SID, DEMO_TWILIO_AUTH_TOKEN, loadConfig } from '../src/shared/config';
import { openDatabase } from '../src/shared/db';
import { createLogger } from '../src/shared/logger';
import { signTwilioRequest } from '../src/shared/twilio';
import { percentile, type MicroRow } from './bench/stats';

const PUBLIC_URL = 'http://127.0.0.1:1';
const ORIGIN = 'https://bench.leadline.test';

interface Served {
  port: number;
  token: string;
  to: string;
}

/** The Leadline side (child process): a site, a number a visitor holds, one available agent. */
async function serve(): Promise<void> {
  const { url, drop } = await benchDatabaseUrl('pop');
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: url,
    DATA_DIR: '',
    LEADLINE_ADMIN_KEY: 'bench-admin-key-0123456789',
    PUBLIC_BASE_URL: PUBLIC_URL,
  });
  const database = await openDatabase({ url: config.DATABASE_URL, dataDir: null });
  const ctx = createContext({ config, database, logger: createLogger(config.LOG_LEVEL) });
  await ctx.start();
  const site = await ctx.campaigns.createSite({
    name: 'bench screen-pop',
    allowedOrigins: [ORIGIN],
    swapTargets: ['+14155550100'],
  });
  const campaign = await ctx.campaigns.createCampaign({
    name: 'bench screen-pop default',
    siteId: site.id,
    match: {},
    holdSeconds: 1800,
    fallbackNumber: '+14155550199',
    overflow: 'share_lru',
    recordCalls: false,
  });
  await ctx.numbers.provision(campaign.id, { count: 1, kind: 'pool' });
  const { body } = await ctx.dni.startSession(
    { siteKey: site.siteKey, landingUrl: `${ORIGIN}/?utm_source=google&utm_medium=cpc` },
    ORIGIN,
  );
  const agent = await ctx.agents.create({
    name: 'Bench Agent',
    phone: '+13035550142',
    zip: '80202',
    timezone: 'America/Denver',
    active: true,
  });
  const server = http.createServer(createApp(ctx));
  const sockets = attachAgentSockets(server, ctx);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (!addr || typeof addr === 'string' || !body.number) throw new Error('bench server not ready');
  process.send?.({ port: addr.port, token: agent.token, to: body.number.e164 } satisfies Served);
  process.on('SIGTERM', async () => {
    await sockets.close();
    server.close();
    await ctx.stop();
    await database.close();
    await drop();
    process.exit(0);
  });
}

function signedPost(port: number, path: string, params: Record<string, string>) {
  const signature = signTwilioRequest(DEMO_TWILIO_AUTH_TOKEN, `${PUBLIC_URL}${path}`, params);
  return fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': signature,
    },
    body: new URLSearchParams(params).toString(),
  });
}

/** Starts the Leadline process, connects the agent's console and times `calls` screen-pops. */
export async function benchScreenPop(opts: { calls?: number } = {}): Promise<MicroRow> {
  const child: ChildProcess = fork(__filename, ['serve'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  try {
    const served = await new Promise<Served>((resolve, reject) => {
      child.once('message', (m) => resolve(m as Served));
      child.once('exit', (code) => reject(new Error(`screen-pop server exited with ${code}`)));
    });
    const socket = connect(`http://127.0.0.1:${served.port}/agents`, {
      auth: { token: served.token },
      transports: ['websocket'],
    });
    await new Promise<void>((r) => socket.once('connect', () => r()));
    await socket.emitWithAck('status', 'available');

    const times: number[] = [];
    let errors = 0;
    const total = opts.calls ?? 300;
    for (let i = 0; i < total; i++) {
      const callSid = `CA${randomBytes(16).toString('hex')}`;
      const params = {
        CallSid: callSid,
        AccountSid: DEMO_TWILIO_ACCOUNT_SID,
        From: `+1720555${String(1000 + (i % 9000)).padStart(4, '0')}`,
        To: served.to,
        CallStatus: 'ringing',
        Direction: 'inbound',
        FromZip: '80202',
        FromCity: 'DENVER',
        FromState: 'CO',
      };
      const popped = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 5_000);
        socket.on('screen-pop', function onPop(p: { callSid?: string }) {
          if (p.callSid !== callSid) return;
          clearTimeout(timer);
          socket.off('screen-pop', onPop);
          resolve(true);
        });
      });
      const t0 = process.hrtime.bigint();
      const voice = signedPost(served.port, '/twilio/voice', params);
      const ok = await popped;
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (!ok || !(await voice).ok) errors += 1;
      const ended = new Promise((r) => {
        const timer = setTimeout(r, 5_000);
        socket.once('call-ended', () => {
          clearTimeout(timer);
          r(undefined);
        });
      });
      await signedPost(served.port, '/twilio/status', {
        ...params,
        CallStatus: 'completed',
        CallDuration: '30',
        SequenceNumber: '1',
      });
      await ended;
    }
    socket.disconnect();
    const mean = times.reduce((s, t) => s + t, 0) / Math.max(times.length, 1);
    return {
      name: 'webhook to screen-pop',
      rps: Math.round(1000 / mean),
      p50Ms: +percentile(times, 50).toFixed(2),
      p99Ms: +percentile(times, 99).toFixed(2),
      errors,
    };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

if (require.main === module) {
  if (process.argv[2] === 'serve') {
    serve().catch((err) => {
      process.stderr.write(`screen-pop server failed: ${String(err)}\n`);
      process.exit(1);
    });
  } else {
    void benchScreenPop().then((row) => console.table([row]));
  }
}
