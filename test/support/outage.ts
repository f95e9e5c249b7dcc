import postgres from 'postgres';
import type { Database } from '../../src/shared/db';

/**
 * Makes the database stop answering, for real: a transaction holds exclusive locks on the tables a
 * call touches (on PGlite, whose single connection it then holds, every query waits). Queries
 * queue until release() commits that transaction.
 */
export async function stallDatabase(
  database: Database,
  url?: string,
): Promise<{ release(): Promise<void> }> {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const ready = new Promise<void>((r) => (locked = r));
  let done: Promise<unknown>;
  if (url) {
    const sql = postgres(url, { max: 1, onnotice: () => undefined });
    done = sql
      .begin(async (tx) => {
        await tx`lock table calls, call_events, tracking_numbers, campaigns, number_leases, visitor_sessions, blocked_numbers in access exclusive mode`;
        locked();
        await gate;
      })
      .finally(() => sql.end());
  } else {
    done = database.db.transaction(async () => {
      locked();
      await gate;
    });
  }
  await ready;
  return {
    async release() {
      release();
      await done;
    },
  };
}

/** Refuses every new connection and ends the open ones: Postgres is gone until restore(). */
export async function cutPostgres(url: string): Promise<{ restore(): Promise<void> }> {
  const name = new URL(url).pathname.slice(1);
  const admin = postgres(url.replace(/\/[^/]+$/, '/postgres'), {
    max: 1,
    onnotice: () => undefined,
  });
  await admin.unsafe(`alter database "${name}" allow_connections false`);
  await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${name} and pid <> pg_backend_pid()`;
  return {
    async restore() {
      await admin.unsafe(`alter database "${name}" allow_connections true`);
      await admin.end();
    },
  };
}
