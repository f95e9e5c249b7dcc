// Applies pending migrations to the configured database (they also run at every start).
import { loadConfig } from '../src/shared/config';
import { openDatabase } from '../src/shared/db';

async function main() {
  const config = loadConfig();
  const database = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR });
  await database.close();
  process.stdout.write(`migrations applied (${database.kind})\n`);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
