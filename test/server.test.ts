import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startLeadlineProcess, type LeadlineProcess } from './support/processes';

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

  it('refuses to start with a bad setting and names it', async () => {
    const started = startLeadlineProcess({ ...env, DATABASE_URL: 'mysql://nope' });
    started.then((n) => n.stop()).catch(() => undefined);
    await expect(started).rejects.toThrow(/DATABASE_URL: must start with postgres/);
  }, 30_000);
});
