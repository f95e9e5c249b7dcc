// Buys tracking numbers for a campaign, with a progress bar:
//   npm run numbers:provision -- --campaign <id> --count 20 [--area-code 415 | --near-zip 94103 | --toll-free] [--source]
import { parseArgs } from 'node:util';
import { createContext } from '../src/context';
import { loadConfig } from '../src/shared/config';
import { DataDirInUseError, openDatabase } from '../src/shared/db';
import { createLogger } from '../src/shared/logger';
import { parseInput } from '../src/shared/validation';
import { provisionSchema } from '../src/numbers/numbers.schemas';

function bar(done: number, total: number): string {
  const width = 30;
  const filled = Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}

async function main() {
  const { values } = parseArgs({
    options: {
      campaign: { type: 'string' },
      count: { type: 'string', default: '1' },
      'area-code': { type: 'string' },
      'near-zip': { type: 'string' },
      'toll-free': { type: 'boolean', default: false },
      source: { type: 'boolean', default: false },
    },
  });
  if (!values.campaign) throw new Error('--campaign <id> is required');
  const input = parseInput(
    provisionSchema,
    {
      count: Number(values.count),
      ...(values['area-code'] ? { areaCode: values['area-code'] } : {}),
      ...(values['near-zip'] ? { nearZip: values['near-zip'] } : {}),
      ...(values['toll-free'] ? { tollFree: true } : {}),
      kind: values.source ? 'source' : 'pool',
    },
    'options',
  );
  const config = loadConfig();
  const database = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR });
  const ctx = createContext({ config, database, logger: createLogger('warn') });
  try {
    if (config.demoMode)
      process.stdout.write('demo mode: fictional 555-01XX numbers, no Twilio account\n');
    const tty = process.stdout.isTTY;
    const result = await ctx.numbers.provision(values.campaign, input, (done, total) => {
      const line = `  ${bar(done, total)}`;
      process.stdout.write(tty ? `\r${line}` : `${line}\n`);
    });
    if (tty) process.stdout.write('\n');
    for (const n of result.numbers)
      process.stdout.write(`  ${n.e164}  ${n.national}  ${n.locality ?? ''} ${n.region ?? ''}\n`);
    if (result.shortfall)
      process.stdout.write(
        `  ${result.shortfall} fewer than asked: ${JSON.stringify(result.errors)}\n`,
      );
  } finally {
    await ctx.stop();
    await database.close();
  }
}

main().catch((err) => {
  // A running server holds the embedded database; writing beside it would be lost.
  process.stderr.write(
    err instanceof DataDirInUseError
      ? `${err.message}\n`
      : `numbers:provision: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
