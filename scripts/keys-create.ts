// Mints an API key: npm run keys:create -- --role marketer [--name "Jo in marketing"]
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/shared/config';
import { DataDirInUseError, openDatabase } from '../src/shared/db';
import { createKeysRepo } from '../src/keys/keys.repo';
import { createKeyService } from '../src/keys/keys.service';

async function main() {
  const { values } = parseArgs({
    options: { role: { type: 'string', default: 'marketer' }, name: { type: 'string' } },
  });
  if (values.role !== 'admin' && values.role !== 'marketer') {
    throw new Error(`--role must be admin or marketer, not "${values.role}"`);
  }
  const config = loadConfig();
  const database = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR });
  try {
    const keys = createKeyService({ keys: createKeysRepo(database.db) });
    const created = await keys.createKey(values.role, values.name ?? `${values.role} key`);
    process.stdout.write(`${values.role} key (shown only now): ${created.key}\n`);
  } finally {
    await database.close();
  }
}

main().catch((err) => {
  // A running server holds the embedded database; writing beside it would be lost.
  process.stderr.write(
    err instanceof DataDirInUseError
      ? `${err.message}\n`
      : `keys:create: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
