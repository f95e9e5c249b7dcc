/**
 * npm run salesforce:deploy — deploys the Call Activity fields, record type, layout and its
 * assignment to the configured Salesforce org (SF_* variables, see .env.example), then checks
 * with describe that they exist. Running it again changes nothing.
 *
 * npm run salesforce:deploy -- --write-source — rewrites the SFDX source under salesforce/ from
 * the same definitions (src/salesforce/metadata.ts), for the Salesforce CLI.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../src/shared/config';
import { deployMetadata } from '../src/salesforce/deploy';
import { metadataComponents, renderSource, SFDX_PROJECT } from '../src/salesforce/metadata';
import { createSalesforceClient, salesforceSettings } from '../src/salesforce/salesforce.client';

const ROOT = path.resolve(__dirname, '../salesforce');

/** Writes salesforce/sfdx-project.json and force-app/main/default/** from the definitions. */
export function writeSource(root = ROOT): string[] {
  const written: string[] = [];
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    written.push(path.relative(root, file));
  };
  write(path.join(root, 'sfdx-project.json'), `${JSON.stringify(SFDX_PROJECT, null, 2)}\n`);
  for (const c of metadataComponents()) {
    write(path.join(root, 'force-app/main/default', c.sourcePath), renderSource(c));
  }
  return written;
}

async function main() {
  if (process.argv.includes('--write-source')) {
    for (const f of writeSource()) console.log(`wrote salesforce/${f}`);
    return;
  }
  const settings = salesforceSettings(loadConfig());
  if (!settings) {
    console.error(
      'Salesforce is not configured: set SF_INSTANCE_URL + SF_ACCESS_TOKEN, or SF_LOGIN_URL + SF_CLIENT_ID + SF_CLIENT_SECRET + SF_REFRESH_TOKEN',
    );
    process.exit(2);
  }
  const report = await deployMetadata(createSalesforceClient(settings));
  for (const name of report.created) console.log(`created  ${name}`);
  for (const name of report.updated) console.log(`updated  ${name}`);
  for (const name of report.found) console.log(`found    ${name}`);
  if (report.missing.length > 0) {
    for (const name of report.missing) console.error(`missing  ${name}`);
    process.exit(1);
  }
  console.log('verified: every field and the Call Activity record type exist on Task');
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
