// A bounded load and soak run on a loopback PostgreSQL (ARCHITECTURE.md, "What survives which
// failure"): npm run load -- [--minutes 5] [--outage] [--restart] [--visitors 20] [--calls 1]
// Starts src/server.ts in its own database (created here, dropped at the end), drives visitors and
// calls through the public API and the carrier simulator, prints progress every 10 s, then checks
// every acknowledged call is stored once, no number was exclusive to two visitors at once and the
// journal is empty. Exits 1 when that check fails.
import { parseArgs } from 'node:util';
import { loopbackUrl } from './load/database';
import { runLoad } from './load/run';

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      minutes: { type: 'string', default: '5' },
      outage: { type: 'boolean', default: false },
      restart: { type: 'boolean', default: false },
      visitors: { type: 'string', default: '20' },
      calls: { type: 'string', default: '1' },
      port: { type: 'string', default: '3917' },
      seed: { type: 'string', default: String(Date.now() % 2 ** 31) },
    },
  });
  const positive = (name: string, v: string | undefined, max: number) => {
    const n = Number(v);
    if (!(n > 0 && n <= max))
      throw new Error(`--${name} must be a number in (0, ${max}], not "${v}"`);
    return n;
  };
  // Read once here, as scripts are entry points; Leadline's own config is read by the child.
  const databaseUrl = loopbackUrl(process.env.DATABASE_URL);
  return runLoad(
    {
      databaseUrl,
      minutes: positive('minutes', values.minutes, 120),
      outage: values.outage ?? false,
      restart: values.restart ?? false,
      visitorsPerSecond: positive('visitors', values.visitors, 200),
      callsPerSecond: positive('calls', values.calls, 20),
      port: positive('port', values.port, 65535),
      seed: positive('seed', values.seed, 2 ** 31),
    },
    (line) => process.stdout.write(`${line}\n`),
  );
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`load: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
