// CPU time of the other processes a row keeps busy on this host: the PostgreSQL server (every
// process named `postgres`, read from /proc) and this load client. With the server process's own
// figure they show where a row's CPU goes on a machine whose cores they all share.
import fs from 'node:fs';

/** Clock ticks per second of /proc's utime/stime (USER_HZ; 100 on Linux). */
const USER_HZ = 100;

/** CPU time (µs) used so far by PostgreSQL's processes on this host; null without /proc. */
export function postgresCpuMicros(): number | null {
  let dirs: string[];
  try {
    dirs = fs.readdirSync('/proc');
  } catch {
    return null;
  }
  let ticks = 0;
  let seen = false;
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
    ticks += Number(fields[11]) + Number(fields[12]);
    seen = true;
  }
  return seen ? (ticks * 1_000_000) / USER_HZ : null;
}

/** CPU time (µs) this process (the load client) has used so far. */
export function clientCpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}
