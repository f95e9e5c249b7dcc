import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import {
  freePort,
  runToExit,
  startLeadlineProcess,
  type LeadlineProcess,
} from './support/processes';

const ADMIN = 'server-test-admin-key-0123456789';

/** POSTs JSON in two halves with a pause between, so the request is in flight for a while. */
function slowPost(
  baseUrl: string,
  pathname: string,
  body: object,
  pauseMs: number,
  onHalf: () => void,
) {
  const data = Buffer.from(JSON.stringify(body));
  const url = new URL(pathname, baseUrl);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': data.length,
          authorization: `Bearer ${ADMIN}`,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += String(c)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.write(data.subarray(0, 10));
    onHalf();
    setTimeout(() => req.end(data.subarray(10)), pauseMs);
  });
}

describe('src/server.ts on the embedded database', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadline-server-'));
  const env = { DATABASE_URL: '', DATA_DIR: dataDir, LEADLINE_ADMIN_KEY: ADMIN, LOG_LEVEL: 'info' };
  let node: LeadlineProcess | undefined;

  afterAll(async () => {
    await node?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('finishes an in-flight request on SIGTERM, then exits cleanly with the database closed', async () => {
    node = await startLeadlineProcess(env);
    const health = await (await fetch(`${node.baseUrl}/health`)).json();
    expect(health).toEqual({ status: 'ok', database: 'embedded' });
    const running = node;
    const exited = new Promise<number | null>((r) => running.child.once('exit', (code) => r(code)));
    const res = await slowPost(
      node.baseUrl,
      '/api/v1/sites',
      { name: 'Survives shutdown' },
      800,
      () => {
        setTimeout(() => running.child.kill('SIGTERM'), 200);
      },
    );
    expect(res.status).toBe(201);
    expect(await exited).toBe(0);
    expect(node.output()).toContain('"msg":"stopped"');
  }, 90_000);

  it('keeps its data under DATA_DIR across restarts', async () => {
    node = await startLeadlineProcess(env);
    const sites = await (
      await fetch(`${node.baseUrl}/api/v1/sites`, { headers: { authorization: `Bearer ${ADMIN}` } })
    ).json();
    expect(sites.sites.map((s: { name: string }) => s.name)).toContain('Survives shutdown');
  }, 90_000);

  it('says it is in demo mode in its first log line, and answers /favicon.ico', async () => {
    const running = node;
    if (!running) throw new Error('the previous test left no node running');
    const [first] = running
      .output()
      .split('\n')
      .filter((l) => l.trim().startsWith('{'));
    expect(JSON.parse(first ?? '{}').msg).toMatch(/^demo mode: no Twilio credentials/);
    const icon = await fetch(`${running.baseUrl}/favicon.ico`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toContain('image/svg+xml');
    expect(await icon.text()).toContain('<svg');
  }, 30_000);

  it('refuses to start with a bad setting and names it', async () => {
    const started = startLeadlineProcess({ ...env, DATABASE_URL: 'mysql://nope' });
    started.then((n) => n.stop()).catch(() => undefined);
    await expect(started).rejects.toThrow(/DATABASE_URL: must start with postgres/);
  }, 30_000);
});

describe("a second process on a running embedded server's data directory", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadline-held-'));
  const env = { DATABASE_URL: '', DATA_DIR: dataDir, LEADLINE_ADMIN_KEY: ADMIN };
  const inUse = `Leadline is running on this data directory (${dataDir}); use the API or stop it first\n`;
  let node: LeadlineProcess | undefined;

  beforeAll(async () => {
    node = await startLeadlineProcess(env);
  }, 90_000);
  afterAll(async () => {
    await node?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('keys:create refuses, says why, and exits 1 instead of minting a key that would be lost', async () => {
    const run = await runToExit('scripts/keys-create.ts', ['--role', 'marketer'], env);
    expect(run).toMatchObject({ code: 1, stdout: '', stderr: inUse });
  }, 60_000);

  it('a second server refuses the same directory with the same line', async () => {
    const run = await runToExit('src/server.ts', [], { ...env, PORT: String(await freePort()) });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(inUse);
  }, 60_000);

  it('keys:create works once the server has stopped', async () => {
    await node?.stop();
    const run = await runToExit('scripts/keys-create.ts', ['--role', 'marketer'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/marketer key \(shown only now\): ll_mkt_/);
  }, 60_000);
});

describe('startup problems an operator can fix', () => {
  it('a busy port is one line naming it, no stack trace, exit 1', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadline-port-'));
    const port = await freePort();
    const squatter = net.createServer();
    await new Promise<void>((r) => squatter.listen(port, '127.0.0.1', r));
    try {
      const run = await runToExit('src/server.ts', [], {
        DATABASE_URL: '',
        DATA_DIR: dataDir,
        LEADLINE_ADMIN_KEY: ADMIN,
        PORT: String(port),
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(`port ${port} is already in use; set PORT to another port\n`);
      // It let go of its data directory on the way out.
      expect(fs.existsSync(path.join(dataDir, 'leadline.lock'))).toBe(false);
    } finally {
      await new Promise((r) => squatter.close(r));
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a DATABASE_URL naming a missing database says how to create it', async () => {
    // The project's PostgreSQL (or the one the suite runs against), asked for a database it lacks.
    const url = new URL(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres');
    url.pathname = '/leadline_missing_db_test';
    const run = await runToExit('src/server.ts', [], {
      DATABASE_URL: url.toString(),
      LEADLINE_ADMIN_KEY: ADMIN,
      PORT: String(await freePort()),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `database "leadline_missing_db_test" does not exist; create it with: createdb -h ${url.hostname}${url.port && url.port !== '5432' ? ` -p ${url.port}` : ''}${url.username ? ` -U ${url.username}` : ''} leadline_missing_db_test\n`,
    );
  }, 60_000);
});
