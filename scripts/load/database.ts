// The run's own Postgres database: created, cut off for an outage, checked, dropped.
import postgres from 'postgres';

/** Refuses anything but a loopback Postgres: a load run must never reach a shared server. */
export function loopbackUrl(url: string | undefined): URL {
  if (!url) throw new Error('DATABASE_URL is required (a Postgres on 127.0.0.1 or localhost)');
  const u = new URL(url);
  if (!/^postgres(ql)?:$/.test(u.protocol)) throw new Error('DATABASE_URL must be postgres://');
  if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(u.hostname)) {
    throw new Error(`DATABASE_URL must point at loopback, not ${u.hostname}`);
  }
  return u;
}

/** A fresh database next to DATABASE_URL's, for this run only. */
export async function createRunDatabase(base: URL) {
  const name = `leadline_load_${Date.now().toString(36)}`;
  const admin = postgres(base.toString(), { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database "${name}"`);
  const u = new URL(base.toString());
  u.pathname = `/${name}`;
  const url = u.toString();
  const sql = postgres(url, { max: 2, onnotice: () => undefined });
  return {
    url,
    name,
    sql,
    /** Postgres refuses this database's connections and ends the open ones, until restore(). */
    async cut(): Promise<{ restore(): Promise<void> }> {
      await admin.unsafe(`alter database "${name}" allow_connections false`);
      await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${name} and pid <> pg_backend_pid()`;
      return {
        restore: async () => {
          await admin.unsafe(`alter database "${name}" allow_connections true`);
        },
      };
    },
    async drop(): Promise<void> {
      await sql.end({ timeout: 1 }).catch(() => undefined);
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}
export type RunDatabase = Awaited<ReturnType<typeof createRunDatabase>>;

/** Pairs of different sessions whose exclusive leases on one number overlap in time. */
export async function overlappingExclusiveLeases(sql: postgres.Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n
    from number_leases a
    join number_leases b
      on a.number_id = b.number_id and a.id < b.id and a.session_id <> b.session_id
    where not a.shared and not b.shared
      and a.started_at < b.expires_at and b.started_at < a.expires_at`;
  return row?.n ?? 0;
}

/** Call sids (of those given) stored more than once, and how many of them are stored at all. */
export async function storedCalls(
  sql: postgres.Sql,
  sids: string[],
): Promise<{ stored: number; duplicated: string[] }> {
  const rows = await sql<{ call_sid: string; n: number }[]>`
    select call_sid, count(*)::int as n from calls where call_sid = any(${sids}) group by call_sid`;
  return { stored: rows.length, duplicated: rows.filter((r) => r.n > 1).map((r) => r.call_sid) };
}
