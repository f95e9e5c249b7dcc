// npm run bench [-- --duration 10 --connections 10 --json FILE --only NAME]
// Measures a bare-express floor and each Leadline endpoint in the same run, each server in its own
// process, and prints req/s, p50/p99 latency, errors and the ratio to the floor.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { scenarios, type BenchRequest } from './bench/scenarios';

interface Row {
  name: string;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  ratioToFloor: number;
}

interface Target {
  child: ChildProcess;
  port: number;
  info: { database?: string; seeded?: Record<string, unknown> };
}

function startTarget(mode: 'floor' | 'leadline'): Promise<Target> {
  const tsx = path.resolve(__dirname, '../node_modules/.bin/tsx');
  const child = spawn(tsx, [path.resolve(__dirname, 'bench/target.ts'), mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: process.env,
  });
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once('line', (line) => {
      const info = JSON.parse(line) as Target['info'] & { port: number };
      resolve({ child, port: info.port, info });
    });
    child.once('exit', (code) => reject(new Error(`${mode} target exited with ${code}`)));
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
    },
  });
  const opts = { duration: Number(values.duration), connections: Number(values.connections) };
  const rows: Row[] = [];

  const floorTarget = await startTarget('floor');
  const floor = await load(floorTarget.port, { method: 'POST', path: '/' }, opts);
  await stopTarget(floorTarget);
  rows.push({ name: 'floor', ...floor, ratioToFloor: 1 });

  const target = await startTarget('leadline');
  process.stdout.write(`leadline database: ${target.info.database}\n`);
  for (const s of scenarios) {
    if (values.only && !s.name.includes(values.only)) continue;
    const measured = await load(target.port, s.request(target.info.seeded?.[s.name]), opts);
    rows.push({ name: s.name, ...measured, ratioToFloor: +(measured.rps / floor.rps).toFixed(3) });
  }
  await stopTarget(target);

  const table = rows.map((r) => ({
    name: r.name,
    'req/s': r.rps,
    'p50 ms': r.p50Ms,
    'p99 ms': r.p99Ms,
    errors: r.errors,
    'x floor': r.ratioToFloor,
  }));
  console.table(table);
  if (values.json) fs.writeFileSync(values.json, `${JSON.stringify(rows, null, 2)}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
