import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';

/**
 * A benchmark's own database: a new PostgreSQL database beside DATABASE_URL's (dropped by
 * `drop()`), or, without DATABASE_URL, an empty url meaning the embedded database (the HTTP target
 * keeps it in its DATA_DIR, as `npm start` does; the in-process rows in memory).
 */
export async function benchDatabaseUrl(
  label: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = process.env.DATABASE_URL;
  if (!base) return { url: '', drop: async () => undefined };
  const name = `leadline_bench_${label}_${Date.now().toString(36)}_${randomBytes(2).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}

/**
 * A fresh DATA_DIR for a benchmark's Leadline, so its webhook journal is its own: the default
 * (./data) would replay a developer's journal into the benchmark's database, or leave entries
 * from the benchmark for the next `npm start`.
 */
export function benchDataDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `leadline-bench-${label}-`));
}
