import fs from 'node:fs';

/** Lock files this process holds, so a second holder in the same process is refused too. */
const heldHere = new Set<string>();

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes an exclusive lock file holding this process's pid, for a directory one process may use at
 * a time (the embedded database, the webhook journal). A lock whose pid is gone (a killed process)
 * is stale and taken over; so is one with this process's own pid that this process does not hold
 * (a container restarted with the same pid). An unreadable pid may be a holder still writing it,
 * so it counts as held. Returns the release function, or the holder's pid (NaN when unreadable).
 */
export function acquirePidLock(file: string): { release: () => void } | { heldBy: number } {
  if (heldHere.has(file)) return { heldBy: process.pid };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      heldHere.add(file);
      return {
        release: () => {
          heldHere.delete(file);
          try {
            if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
          } catch {
            // Already gone: nothing to release.
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder = NaN;
    try {
      holder = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    } catch {
      continue; // released between our open and read: try again
    }
    if (!Number.isInteger(holder) || (holder !== process.pid && processIsAlive(holder))) {
      return { heldBy: holder };
    }
    fs.rmSync(file, { force: true });
  }
  return { heldBy: NaN };
}
