// npm run bench [-- --duration 10 --warmup 2 --connections 10 --json FILE --only NAME --profile DIR]
// (--profile DIR writes a V8 CPU profile of the Leadline process per row, for Chrome DevTools)
// Measures a bare-express floor and each Leadline endpoint in the same run, each server in its own
// process, and prints req/s, p50/p99 latency, errors and the ratio to the floor. Leadline runs as
// production runs it (NODE_ENV=production, default log level, logs written to a pipe this process
// drains); only the per-IP DNI rate limit is raised, and the output says so.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { benchRouting } from './bench-routing';
import { benchSalesforce } from './bench-salesforce';
import { benchScoring } from './bench-scoring';
import { benchScreenPop } from './bench-screen-pop';
import { clientCpuMicros, postgresCpuBetween, postgresCpuMicros } from './bench/machine-cpu';
import {
  BENCH_DNI_RATE_LIMIT,
  NEW_LEASE_HOLD_SECONDS,
  scenarios,
  type BenchRequest,
} from './bench/scenarios';

interface Row {
  name: string;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  ratioToFloor: number;
  /** CPU time of the server process per request (µs): robust to other load on the machine. */
  cpuMicrosPerRequest?: number;
  /** CPU time of PostgreSQL's processes on this host per request (µs), when it runs here. */
  dbCpuMicrosPerRequest?: number;
  /** CPU time of the load client (this process) per request (µs). */
  clientCpuMicrosPerRequest?: number;
}

interface Target {
  child: ChildProcess;
  port: number;
  info: { database?: string; logLevel?: string; seeded?: Record<string, unknown> };
  /** Bytes of log output the target wrote. */
  logBytes: () => number;
}

function startTarget(mode: 'floor' | 'leadline'): Promise<Target> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.resolve(__dirname, 'bench/target.ts'), mode],
    {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      env: process.env,
    },
  );
  // Its logs are read and dropped, as a log shipper would read them.
  let logBytes = 0;
  child.stdout?.on('data', (chunk: Buffer) => {
    logBytes += chunk.length;
  });
  return new Promise((resolve, reject) => {
    child.once('message', (msg) => {
      const info = msg as Target['info'] & { port: number };
      resolve({ child, port: info.port, info, logBytes: () => logBytes });
    });
    child.once('exit', (code) => reject(new Error(`${mode} target exited with ${code}`)));
  });
}

/** CPU time (µs) the target process has used so far. */
function cpuOf(t: Target, profileFile?: string): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (msg: unknown) => {
      const m = msg as { type?: string; micros?: number };
      if (m.type !== 'cpu') return;
      t.child.off('message', onMessage);
      resolve(m.micros ?? 0);
    };
    t.child.on('message', onMessage);
    t.child.send({ type: 'cpu', file: profileFile });
  });
}

/** How many signed requests a per-request generator is asked for before its row starts. */
const PREBUILT_REQUESTS = 60_000;

/**
 * Builds a row's requests before it is measured, so the load client's work per request (a new
 * call's parameters and its signature) does not take CPU from the server on the cores they
 * share, as a load driver on another host would not. Past the prebuilt ones, it builds as it goes.
 */
function prebuilt(req: BenchRequest): BenchRequest {
  const gen = req.next;
  if (!gen) return req;
  const ready = Array.from({ length: PREBUILT_REQUESTS }, () => gen());
  let i = 0;
  return { ...req, next: () => ready[i++] ?? gen() };
}

/** Runs one row and adds the server's CPU time per request to it. */
async function measure(
  t: Target,
  req: BenchRequest,
  opts: { duration: number; connections: number; warmup: number },
  profileFile?: string,
): Promise<Omit<Row, 'ratioToFloor' | 'name'>> {
  req = prebuilt(req);
  // Unmeasured first: the JIT compiles the hot path and caches fill, as on a server that has been
  // up for a while (the first row would otherwise pay for compiling code every row shares).
  if (opts.warmup > 0) await load(t.port, req, { ...opts, duration: opts.warmup });
  const before = await cpuOf(t, profileFile);
  // The embedded database runs inside the server process: its CPU is in the server's figure.
  const dbBefore = process.env.DATABASE_URL ? postgresCpuMicros() : null;
  const clientBefore = clientCpuMicros();
  const measured = await load(t.port, req, opts);
  const clientUsed = clientCpuMicros() - clientBefore;
  const dbAfter = dbBefore === null ? null : postgresCpuMicros();
  const used = (await cpuOf(t, profileFile)) - before;
  const requests = measured.rps * opts.duration;
  const per = (micros: number) => (requests ? Math.round(micros / requests) : 0);
  return {
    ...measured,
    cpuMicrosPerRequest: per(used),
    clientCpuMicrosPerRequest: per(clientUsed),
    ...(dbBefore !== null && dbAfter !== null
      ? { dbCpuMicrosPerRequest: per(postgresCpuBetween(dbBefore, dbAfter)) }
      : {}),
  };
}

/** How many requests of a row overflowed instead of taking a lease (null: not a leasing row). */
function overflowOf(t: Target, scenario: string): Promise<number | null> {
  return new Promise((resolve) => {
    const onMessage = (msg: unknown) => {
      const m = msg as { type?: string; scenario?: string; overflow?: number | null };
      if (m.type !== 'overflow' || m.scenario !== scenario) return;
      t.child.off('message', onMessage);
      resolve(m.overflow ?? null);
    };
    t.child.on('message', onMessage);
    t.child.send({ type: 'overflow', scenario });
  });
}

async function stopTarget(t: Target): Promise<void> {
  const exited = new Promise((r) => t.child.once('exit', r));
  t.child.kill('SIGTERM');
  await exited;
}

async function load(
  port: number,
  req: BenchRequest,
  opts: { duration: number; connections: number },
): Promise<Omit<Row, 'ratioToFloor' | 'name'>> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: opts.connections,
    duration: opts.duration,
    requests: [
      {
        method: req.method,
        path: req.path,
        headers: { 'content-type': 'application/json', ...req.headers },
        ...(req.body ? { setupRequest: (r) => ({ ...r, body: req.body?.() }) } : {}),
        ...(req.next
          ? {
              setupRequest: (r) => {
                const built = req.next?.();
                if (!built) return r;
                const headers: Record<string, string> = {};
                for (const [k, v] of Object.entries({ ...r.headers, ...built.headers })) {
                  if (typeof v === 'string') headers[k.toLowerCase()] = v;
                }
                return { ...r, body: built.body, headers };
              },
            }
          : {}),
      },
    ],
  });
  return {
    rps: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

async function main() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '10' },
      json: { type: 'string' },
      only: { type: 'string' },
      profile: { type: 'string' },
      warmup: { type: 'string', default: '2' },
    },
  });
  const opts = {
    duration: Number(values.duration),
    connections: Number(values.connections),
    warmup: Number(values.warmup),
  };
  const rows: Row[] = [];

  const floorTarget = await startTarget('floor');
  const floor = await measure(floorTarget, { method: 'POST', path: '/' }, opts);
  await stopTarget(floorTarget);
  rows.push({ name: 'floor', ...floor, ratioToFloor: 1 });

  const target = await startTarget('leadline');
  if (values.profile) fs.mkdirSync(values.profile, { recursive: true });
  const notes = [
    `leadline: database ${target.info.database}, NODE_ENV=production, log level ${target.info.logLevel} (the default), logs to a drained pipe`,
    `changed from production: DNI_RATE_LIMIT_PER_MINUTE raised to ${BENCH_DNI_RATE_LIMIT} for the single load client`,
    `new-lease rows: a new visitor per request; the campaign's hold is shortened to ${NEW_LEASE_HOLD_SECONDS} s so every request takes a real lease and the pool (50 or 5,000 numbers) never runs out`,
    `dni renewal: 40 visitors leased at seed time (1,800 s hold) renew in turn; renewals are answered from the node's memory and written in batches`,
    `${opts.connections} connections, ${opts.duration} s per row after ${opts.warmup} s unmeasured (the floor's too)`,
    `requests that differ per request (signed webhooks for new calls) are built before their row, ${PREBUILT_REQUESTS} ahead, so the client's work does not compete with the server's during it`,
    'cpu µs/req: the server process; db cpu: every PostgreSQL process on this host (empty when the database is embedded or not here); client cpu: the load client. All share these cores',
  ];
  for (const n of notes) process.stdout.write(`${n}\n`);
  const overflowed: string[] = [];
  for (const s of scenarios) {
    if (values.only && !s.name.includes(values.only)) continue;
    const profileFile = values.profile
      ? path.join(values.profile, `${s.name.replace(/[^\w]+/g, '-')}.cpuprofile`)
      : undefined;
    const measured = await measure(
      target,
      s.request(target.info.seeded?.[s.name]),
      opts,
      profileFile,
    );
    rows.push({ name: s.name, ...measured, ratioToFloor: +(measured.rps / floor.rps).toFixed(3) });
    if (s.overflow) overflowed.push(`${s.name}: ${await overflowOf(target, s.name)} overflowed`);
  }
  const logBytes = target.logBytes();
  await stopTarget(target);
  process.stdout.write(
    `leasing rows that shared a number instead of leasing: ${overflowed.join('; ')}\n`,
  );
  process.stdout.write(`log output during the run: ${Math.round(logBytes / 1024)} KiB\n`);

  // In-process rows: decisions per second on one core (the floor ratio is given for the shape's
  // sake; what matters is p99 and the index's lead over the scan).
  const micro = [
    ...(!values.only || 'routing linear scan'.includes(values.only) ? await benchRouting() : []),
    ...(!values.only || 'webhook to screen-pop'.includes(values.only)
      ? [await benchScreenPop()]
      : []),
  ];
  if (!values.only || 'scoring'.includes(values.only)) {
    micro.push(await benchScoring());
    process.stdout.write(
      'scoring: seeded finished calls, call.score enqueued for each through the real queue, time until all are scored (latency: enqueue to scoredAt)\n',
    );
  }
  if (!values.only || 'salesforce sync'.includes(values.only)) {
    const sfRun = await benchSalesforce();
    micro.push(sfRun.row);
    process.stdout.write(
      `salesforce sync: ${sfRun.requestsPer200} API requests per 200 activities (${sfRun.requests} in all, reads and writes; stand-in in process), ${sfRun.row.errors} calls not synced exactly once\n`,
    );
  }
  for (const r of micro) rows.push({ ...r, ratioToFloor: +(r.rps / floor.rps).toFixed(3) });
  const nearest = micro.find((r) => r.name === 'routing nearest of 100,000');
  const scan = micro.find((r) => r.name === 'linear scan of 100,000');
  if (nearest && scan) {
    process.stdout.write(
      `routing: the spatial index decides ${(nearest.rps / scan.rps).toFixed(0)}x faster than the linear scan, same agent every time (${scan.errors} disagreements)\n`,
    );
  }
  process.stdout.write(
    'webhook to screen-pop: one agent console in the bench process, sequential calls, time from sending /twilio/voice to the screen-pop on the socket\n',
  );

  // Rows measured on the embedded database say so in their name (DESIGN.md's contract).
  if (!process.env.DATABASE_URL) {
    for (const r of rows) if (r.name !== 'floor') r.name = `${r.name} (embedded)`;
  }
  const table = rows.map((r) => ({
    name: r.name,
    'req/s': r.rps,
    'p50 ms': r.p50Ms,
    'p99 ms': r.p99Ms,
    errors: r.errors,
    'x floor': r.ratioToFloor,
    'cpu µs/req': r.cpuMicrosPerRequest ?? '',
    'db cpu': r.dbCpuMicrosPerRequest ?? '',
    'client cpu': r.clientCpuMicrosPerRequest ?? '',
  }));
  console.table(table);
  if (values.json) fs.writeFileSync(values.json, `${JSON.stringify(rows, null, 2)}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
