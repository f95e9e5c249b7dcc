// Replays realistic traffic against a RUNNING Leadline and measures attribution:
//   npm run simulate -- --visitors 200 --calls 50 [--base http://localhost:3000]
//     [--public-base-url URL] [--admin-key KEY] [--auth-token TOKEN] [--account-sid AC…]
//     [--duplicates 1] [--reorder] [--seed N] [--max-pool 300]
//     [--in-process] [--salesforce]
// --in-process starts a Leadline inside this process instead (demo mode, database in memory);
// --salesforce does too, with the Salesforce stand-in on 127.0.0.1 as its Salesforce, and prints
// the Tasks and Leads the sync created there.
// Only the public API is used (README.md): the admin API sets up a site, a default campaign
// and a pool; visitors ask /dni/v1/sessions for a number; some of them call it through the carrier
// simulator; then GET /api/v1/calls/:sid says whom each call was attributed to. Exits 1 when a
// call is attributed "exact" to someone other than the visitor who placed it, or is lost.
// This file reads the command line; the run itself is in scripts/simulate/.
import { parseArgs } from 'node:util';
import { DEMO_TWILIO_ACCOUNT_SID, loadConfig } from '../src/shared/config';
import { startLeadlineInProcess } from './simulate/in-process';
import { runSimulation, type SimulateOptions } from './simulate/run';
import {
  describeSalesforce,
  SIMULATED_SF_CAMPAIGN_ID,
  startSimulatedSalesforce,
  waitForSalesforce,
} from './simulate/salesforce';
import { leadlineClient } from './simulate/leadline-client';

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
      'in-process': { type: 'boolean', default: false },
      salesforce: { type: 'boolean', default: false },
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
    ...(values['in-process'] || values.salesforce ? { inProcess: true } : {}),
    ...(values.salesforce ? { salesforce: true } : {}),
  };
}

/** Whether the command line asks for a Leadline inside this process. */
const wantsInProcess = (argv: string[]) =>
  argv.includes('--in-process') || argv.includes('--salesforce');

async function main() {
  const argv = process.argv.slice(2);
  if (wantsInProcess(argv)) return mainInProcess(argv);
  const config = loadConfig();
  const opts = parseSimulateArgs(argv, {
    base: `http://localhost:${config.PORT}`,
    publicBaseUrl: config.publicBaseUrl,
    authToken: config.twilioAuthToken,
    accountSid: config.TWILIO_ACCOUNT_SID ?? DEMO_TWILIO_ACCOUNT_SID,
    ...(config.LEADLINE_ADMIN_KEY ? { adminKey: config.LEADLINE_ADMIN_KEY } : {}),
  });
  const { exitCode } = await runSimulation(opts);
  process.exitCode = exitCode;
}

/** --in-process / --salesforce: Leadline (and the Salesforce stand-in) live as long as the run. */
async function mainInProcess(argv: string[]) {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const salesforce = argv.includes('--salesforce') ? await startSimulatedSalesforce() : undefined;
  if (salesforce) log(`salesforce: stand-in at ${salesforce.standin.url}, metadata deployed`);
  const leadline = await startLeadlineInProcess({ env: salesforce?.env ?? {} });
  try {
    log(`leadline: in this process at ${leadline.base} (demo mode, database in memory)`);
    const defaults = {
      base: leadline.base,
      publicBaseUrl: leadline.base,
      authToken: leadline.authToken,
      accountSid: leadline.accountSid,
      adminKey: leadline.adminKey,
    };
    // The in-process Leadline is the target, whatever --base and the key say.
    const opts = { ...parseSimulateArgs(argv, defaults), ...defaults };
    const { exitCode } = await runSimulation(opts, {
      log,
      ...(salesforce ? { salesforceCampaignId: SIMULATED_SF_CAMPAIGN_ID } : {}),
    });
    process.exitCode = exitCode;
    if (salesforce) {
      const counts = await waitForSalesforce(leadlineClient(leadline.base, leadline.adminKey));
      log(`salesforce sync: ${JSON.stringify(counts)} (GET /api/v1/salesforce/sync)`);
      for (const line of describeSalesforce(salesforce.standin)) log(line);
    }
  } finally {
    await leadline.close();
    await salesforce?.close();
  }
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`simulate: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
