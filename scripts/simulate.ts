// Replays realistic traffic against a RUNNING Leadline and measures attribution:
//   npm run simulate -- --visitors 200 --calls 50 [--base http://localhost:3000]
//     [--public-base-url URL] [--admin-key KEY] [--auth-token TOKEN] [--account-sid AC…]
//     [--duplicates 1] [--reorder] [--seed N] [--max-pool 300]
// Only the public API is used (README.md): the admin API sets up a site, a default campaign
// and a pool; visitors ask /dni/v1/sessions for a number; some of them call it through the carrier
// simulator; then GET /api/v1/calls/:sid says whom each call was attributed to. Exits 1 when a
// call is attributed "exact" to someone other than the visitor who placed it, or is lost.
// This file reads the command line; the run itself is in scripts/simulate/.
import { parseArgs } from 'node:util';
import { DEMO_TWILIO_ACCOUNT_SID, loadConfig } from '../src/shared/config';
import { runSimulation, type SimulateOptions } from './simulate/run';

/** Reads the command line; defaults come from Leadline's own configuration (environment). */
export function parseSimulateArgs(
  argv: string[],
  defaults: Pick<SimulateOptions, 'base' | 'publicBaseUrl' | 'authToken' | 'accountSid'> & {
    adminKey?: string;
  },
  randomSeed: () => number = () => Math.floor(Math.random() * 2 ** 31),
): SimulateOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      visitors: { type: 'string', default: '200' },
      calls: { type: 'string', default: '50' },
      base: { type: 'string' },
      'public-base-url': { type: 'string' },
      'admin-key': { type: 'string' },
      'auth-token': { type: 'string' },
      'account-sid': { type: 'string' },
      duplicates: { type: 'string', default: '0' },
      reorder: { type: 'boolean', default: false },
      seed: { type: 'string' },
      'max-pool': { type: 'string', default: '300' },
    },
  });
  const count = (name: string, value: string | undefined, min: number): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) {
      throw new Error(`--${name} must be a whole number of at least ${min}, not "${value}"`);
    }
    return n;
  };
  const visitors = count('visitors', values.visitors, 1);
  const calls = count('calls', values.calls, 0);
  if (calls > visitors)
    throw new Error(`--calls (${calls}) cannot exceed --visitors (${visitors})`);
  const adminKey = values['admin-key'] ?? defaults.adminKey;
  if (!adminKey) throw new Error('an admin API key is needed: --admin-key or LEADLINE_ADMIN_KEY');
  const base = (values.base ?? defaults.base).replace(/\/+$/, '');
  return {
    visitors,
    calls,
    base,
    // Without PUBLIC_BASE_URL Leadline checks signatures against the address it is reached at.
    publicBaseUrl: (values['public-base-url'] ?? defaults.publicBaseUrl).replace(/\/+$/, ''),
    adminKey,
    authToken: values['auth-token'] ?? defaults.authToken,
    accountSid: values['account-sid'] ?? defaults.accountSid,
    duplicates: count('duplicates', values.duplicates, 0),
    reorder: values.reorder ?? false,
    seed: values.seed === undefined ? randomSeed() : count('seed', values.seed, 0),
    maxPool: count('max-pool', values['max-pool'], 1),
  };
}

async function main() {
  const config = loadConfig();
  const opts = parseSimulateArgs(process.argv.slice(2), {
    base: `http://localhost:${config.PORT}`,
    publicBaseUrl: config.publicBaseUrl,
    authToken: config.twilioAuthToken,
    accountSid: config.TWILIO_ACCOUNT_SID ?? DEMO_TWILIO_ACCOUNT_SID,
    ...(config.LEADLINE_ADMIN_KEY ? { adminKey: config.LEADLINE_ADMIN_KEY } : {}),
  });
  const { exitCode } = await runSimulation(opts);
  process.exitCode = exitCode;
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`simulate: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
