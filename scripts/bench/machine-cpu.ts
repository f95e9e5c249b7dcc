// CPU time of the other processes a row keeps busy on this host: the PostgreSQL server (every
// process named `postgres`, read from /proc) and this load client. With the server process's own
// figure they show where a row's CPU goes on a machine whose cores they all share.
import fs from 'node:fs';

/** Clock ticks per second of /proc's utime/stime (USER_HZ; 100 on Linux). */
const USER_HZ = 100;

/** CPU time (µs) used so far by each of PostgreSQL's processes on this host; null without /proc. */
export function postgresCpuMicros(): Map<string, number> | null {
  let dirs: string[];
  try {
    dirs = fs.readdirSync('/proc');
  } catch {
    return null;
  }
  const byPid = new Map<string, number>();
  for (const d of dirs) {
    if (!/^\d+$/.test(d)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // pid (comm) state ppid …: comm may hold spaces, so split after its closing parenthesis.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    if (comm !== 'postgres') continue;
    const fields = stat.slice(close + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime) are 12 and 13 after the state field.
    byPid.set(d, ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / USER_HZ);
  }
  return byPid.size > 0 ? byPid : null;
}

/**
 * PostgreSQL's CPU time (µs) between two readings: what the processes alive at both used, and all
 * of what processes started in between used. A process that exited in between is not counted.
 */
export function postgresCpuBetween(
  before: Map<string, number>,
  after: Map<string, number>,
): number {
  let used = 0;
  for (const [pid, micros] of after) used += micros - (before.get(pid) ?? 0);
  return used;
}

/** CPU time (µs) this process (the load client) has used so far. */
export function clientCpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}
