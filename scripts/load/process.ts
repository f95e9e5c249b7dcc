// The Leadline under load: src/server.ts as its own process, killed and started again on demand.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** One Leadline process; `start()` again after `kill()` reuses the same journal directory. */
export function leadlineProcess(env: Record<string, string>, port: number) {
  let child: ChildProcess | undefined;
  let output = '';
  const baseUrl = `http://127.0.0.1:${port}`;

  async function start(): Promise<void> {
    output = '';
    // Node itself, not the tsx wrapper, so the pid is the server's (its RSS, its SIGKILL).
    const c = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: ROOT,
      env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = c;
    c.stdout?.on('data', (d) => (output = (output + String(d)).slice(-20_000)));
    c.stderr?.on('data', (d) => (output = (output + String(d)).slice(-20_000)));
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (c.exitCode !== null) throw new Error(`leadline exited early:\n${output}`);
      try {
        if ((await fetch(`${baseUrl}/health`)).ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        c.kill('SIGKILL');
        throw new Error(`leadline did not come up:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async function signal(sig: NodeJS.Signals): Promise<void> {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill(sig);
    await exited;
  }

  /** Resident memory of the server process in MB, or null when it is not running. */
  function rssMb(): number | null {
    const pid = child?.exitCode === null ? child.pid : undefined;
    if (pid === undefined) return null;
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
      return kb ? Math.round(Number(kb) / 1024) : null;
    } catch {
      return null;
    }
  }

  return {
    baseUrl,
    start,
    /** SIGKILL: no shutdown, no flush; what it acknowledged is only in the journal. */
    kill: () => signal('SIGKILL'),
    stop: () => signal('SIGTERM'),
    rssMb,
    output: () => output,
  };
}
export type LeadlineUnderLoad = ReturnType<typeof leadlineProcess>;
