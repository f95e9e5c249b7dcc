import path from 'node:path';
import fs from 'node:fs';
import type { SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import * as schema from '../../db/schema';
import { DEFAULT_POOL_SIZE } from './config';
import { acquirePidLock } from './pid-lock';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
/** A transaction handle: repos accept it wherever they accept the database. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export interface Database {
  db: Db;
  kind: 'embedded' | 'postgres';
  /** Runs raw SQL and returns plain rows, whichever driver is underneath. */
  rows<T>(query: SQL, executor?: DbOrTx): Promise<T[]>;
  /**
   * Runs fixed SQL text with positional parameters ($1…) straight on the driver, as a prepared
   * statement: for the few hot statements where building the query per request costs too much.
   */
  query<T>(text: string, params: unknown[]): Promise<T[]>;
  /** Runs `fn` while holding a cluster-wide advisory lock, so several nodes take turns. */
  withLock<T>(key: number, fn: () => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * Where the job queue (pg-boss) runs its own SQL: on PostgreSQL the URL, so it opens its own
   * pool; on the embedded database an executeSql on the one PGlite client.
   */
  queueDb: QueueDb;
}

/** pg-boss's `db` adapter shape, or the URL it connects to itself. */
export type QueueDb =
  { url: string } | { executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> };

const MIGRATIONS = path.resolve(__dirname, '../../db/migrations');
/** Any fixed number: serialises migrations when several nodes start at once. */
const MIGRATION_LOCK = 7_243_001;

export interface OpenOptions {
  /** postgres:// URL; without it, PGlite. */
  url?: string;
  /** Where PGlite keeps its files; null keeps it in memory. */
  dataDir?: string | null;
  /** Connection pool size for postgres (DATABASE_POOL_SIZE). */
  poolSize?: number;
}

function resultRows<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  const withRows = result as { rows?: T[] };
  return withRows.rows ?? [];
}

/** Opens the embedded or the real database and applies pending migrations. */
export async function openDatabase(opts: OpenOptions): Promise<Database> {
  if (opts.url) {
    const migrator = postgres(opts.url, { max: 1, onnotice: () => undefined });
    try {
      await migrator`select pg_advisory_lock(${MIGRATION_LOCK})`;
      await migratePostgres(drizzlePostgres(migrator), { migrationsFolder: MIGRATIONS });
      await migrator`select pg_advisory_unlock(${MIGRATION_LOCK})`;
    } catch (err) {
      if ((err as { code?: string }).code === INVALID_CATALOG_NAME) {
        throw new DatabaseMissingError(opts.url);
      }
      throw err;
    } finally {
      await migrator.end();
    }
    const client = postgres(opts.url, {
      max: opts.poolSize ?? DEFAULT_POOL_SIZE,
      onnotice: () => undefined,
      connection: { application_name: 'leadline' },
    });
    const db = drizzlePostgres(client, { schema }) as unknown as Db;
    return {
      db,
      kind: 'postgres',
      rows: async (q, ex) => resultRows(await (ex ?? db).execute(q)),
      query: async <T>(text: string, params: unknown[]) =>
        (await client.unsafe(text, params as postgres.ParameterOrJSON<never>[], {
          prepare: true,
        })) as unknown as T[],
      withLock: async (key, fn) => {
        const conn = await client.reserve();
        try {
          await conn`select pg_advisory_lock(${key})`;
          return await fn();
        } finally {
          await conn`select pg_advisory_unlock(${key})`.catch(() => undefined);
          conn.release();
        }
      },
      ping: async () => {
        await client`select 1`;
      },
      close: () => client.end({ timeout: 5 }),
      queueDb: { url: opts.url },
    };
  }

  let dataDir: string | undefined;
  let unlock: () => void = () => undefined;
  if (opts.dataDir) {
    dataDir = path.resolve(opts.dataDir);
    fs.mkdirSync(dataDir, { recursive: true });
    unlock = lockDataDir(dataDir);
  }
  const client = new PGlite(dataDir);
  try {
    await client.waitReady;
    await migratePglite(drizzlePglite(client), { migrationsFolder: MIGRATIONS });
  } catch (err) {
    await client.close().catch(() => undefined);
    unlock();
    throw err;
  }
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'embedded',
    rows: async (q, ex) => resultRows(await (ex ?? db).execute(q)),
    query: async <T>(text: string, params: unknown[]) => (await client.query<T>(text, params)).rows,
    // One process owns an embedded database, so there is nobody to take turns with.
    withLock: (_key, fn) => fn(),
    // PGlite's query() takes one statement; pg-boss sends multi-statement scripts (its schema and
    // migrations) without parameters, and those must go through exec().
    queueDb: {
      executeSql: async (text: string, values?: unknown[]) => {
        if (values && values.length > 0) return { rows: (await client.query(text, values)).rows };
        const results = await client.exec(text);
        return { rows: results[results.length - 1]?.rows ?? [] };
      },
    },
    ping: async () => {
      await client.query('select 1');
    },
    close: async () => {
      try {
        await client.close();
      } finally {
        unlock();
      }
    },
  };
}

/** PostgreSQL's SQLSTATE for connecting to a database that does not exist. */
const INVALID_CATALOG_NAME = '3D000';

/** DATABASE_URL names a database the server does not have; the message says how to create it. */
export class DatabaseMissingError extends Error {
  readonly database: string;
  constructor(url: string) {
    const u = new URL(url);
    const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres';
    const args = [
      u.hostname ? `-h ${u.hostname}` : '',
      u.port && u.port !== '5432' ? `-p ${u.port}` : '',
      u.username ? `-U ${decodeURIComponent(u.username)}` : '',
      database,
    ];
    super(
      `database "${database}" does not exist; create it with: createdb ${args.filter(Boolean).join(' ')}`,
    );
    this.name = 'DatabaseMissingError';
    this.database = database;
  }
}

/** Another process (or this one) already has the embedded data directory open. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`Leadline is running on this data directory (${dataDir}); use the API or stop it first`);
    this.name = 'DataDirInUseError';
  }
}

const LOCK_FILE = 'leadline.lock';

/**
 * PGlite assumes one process per data directory: a second one would work on its own copy and its
 * writes would be lost. So the directory is held with a pid lock file. Returns the release function.
 */
function lockDataDir(dataDir: string): () => void {
  const lock = acquirePidLock(path.join(dataDir, LOCK_FILE));
  if ('heldBy' in lock) throw new DataDirInUseError(dataDir, lock.heldBy);
  return lock.release;
}
