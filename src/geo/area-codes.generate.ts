/**
 * Regenerates area-codes.json from area-codes.source.txt: each area code's principal city,
 * resolved to the mean point of that city's ZIP codes in the zipcodes package.
 * Run: npx tsx src/geo/area-codes.generate.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import zipcodes from 'zipcodes';

const dir = __dirname;
const lines = fs
  .readFileSync(path.join(dir, 'area-codes.source.txt'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() && !l.startsWith('#'));
const out: Record<string, [number, number, string, string]> = {};
const missing: string[] = [];
for (const line of lines) {
  const [code, city, state] = line.split('|');
  if (!code || !city || !state) continue;
  const zips = zipcodes.lookupByName(city, state);
  if (!zips.length) {
    missing.push(line);
    continue;
  }
  const lat = zips.reduce((s, z) => s + z.latitude, 0) / zips.length;
  const lon = zips.reduce((s, z) => s + z.longitude, 0) / zips.length;
  out[code] = [Math.round(lat * 1e4) / 1e4, Math.round(lon * 1e4) / 1e4, city, state];
}
fs.writeFileSync(path.join(dir, 'area-codes.json'), `${JSON.stringify(out)}\n`);
process.stdout.write(
  `${Object.keys(out).length} area codes written; unresolved: ${missing.join(', ') || 'none'}\n`,
);
