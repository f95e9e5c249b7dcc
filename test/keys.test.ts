import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../src/app';
import { createContext, type AppContext } from '../src/context';
import { loadConfig } from '../src/shared/config';
import { createLogger } from '../src/shared/logger';
import { openTestDatabase } from './support/database';
import { TEST_ADMIN_KEY } from './support/context';
import { ManualClock } from './support/clock';

/** Two Leadline nodes (contexts and apps) on one database, as behind a load balancer. */
const clock = new ManualClock('2026-06-01T15:00:00Z');
const nodes: { ctx: AppContext; app: Express }[] = [];
let drop: () => Promise<void>;
const admin = `Bearer ${TEST_ADMIN_KEY}`;

beforeAll(async () => {
  const opened = await openTestDatabase();
  drop = opened.drop;
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    LEADLINE_ADMIN_KEY: TEST_ADMIN_KEY,
    PUBLIC_BASE_URL: 'https://leadline.test',
    ...(opened.url ? { DATABASE_URL: opened.url } : {}),
  });
  for (let i = 0; i < 2; i++) {
    const ctx = createContext({
      config,
      database: opened.database,
      logger: createLogger('silent'),
      clock,
    });
    await ctx.start();
    nodes.push({ ctx, app: createApp(ctx) });
  }
});
afterAll(async () => {
  for (const n of nodes) await n.ctx.stop();
  await drop();
});

const node = (i: number) => {
  const n = nodes[i];
  if (!n) throw new Error(`no node ${i}`);
  return n.app;
};
const createKey = async (body: object) =>
  (await request(node(0)).post('/api/v1/keys').set('Authorization', admin).send(body).expect(201))
    .body as { id: string; key: string };

describe('API keys across two nodes', () => {
  it('shows a new key once and lists keys without secrets', async () => {
    const created = await createKey({ name: 'reporting', role: 'marketer' });
    expect(created.key).toMatch(/^ll_mkt_/);
    const list = await request(node(1)).get('/api/v1/keys').set('Authorization', admin).expect(200);
    const listed = list.body.keys.find((k: { id: string }) => k.id === created.id);
    expect(listed).toMatchObject({ name: 'reporting', role: 'marketer', state: 'active' });
    expect(JSON.stringify(list.body)).not.toContain(created.key);
    expect(JSON.stringify(list.body)).not.toMatch(/keyHash|key_hash/);
  });

  it('refuses a key revoked on one node on the very next request to the other', async () => {
    const { id, key } = await createKey({ name: 'soon revoked', role: 'marketer' });
    const bearer = `Bearer ${key}`;
    // Both nodes have seen the key working.
    await request(node(0)).get('/api/v1/keys/').set('Authorization', bearer).expect(403);
    await request(node(1)).get('/api/v1/calls').set('Authorization', bearer).expect(200);
    const revoked = await request(node(0))
      .delete(`/api/v1/keys/${id}`)
      .set('Authorization', admin)
      .expect(200);
    expect(revoked.body.state).toBe('revoked');
    await request(node(1)).get('/api/v1/calls').set('Authorization', bearer).expect(401);
    await request(node(0)).get('/api/v1/calls').set('Authorization', bearer).expect(401);
  });

  it('refuses a key on every node once its expiry passes on the clock', async () => {
    const expiresAt = new Date(clock.now().getTime() + 60_000).toISOString();
    const { key } = await createKey({ name: 'temporary', role: 'marketer', expiresAt });
    const bearer = `Bearer ${key}`;
    await request(node(1)).get('/api/v1/calls').set('Authorization', bearer).expect(200);
    clock.advance(60_000);
    await request(node(0)).get('/api/v1/calls').set('Authorization', bearer).expect(401);
    await request(node(1)).get('/api/v1/calls').set('Authorization', bearer).expect(401);
  });

  it('answers 400 for a bad body or id and 404 for an unknown key', async () => {
    await request(node(0))
      .post('/api/v1/keys')
      .set('Authorization', admin)
      .send({ name: 'x', role: 'owner' })
      .expect(400);
    await request(node(0))
      .post('/api/v1/keys')
      .set('Authorization', admin)
      .send({ name: 'x', role: 'admin', expiresAt: '2020-01-01T00:00:00Z' })
      .expect(400);
    await request(node(0)).delete('/api/v1/keys/nope').set('Authorization', admin).expect(400);
    await request(node(0))
      .delete('/api/v1/keys/00000000-0000-4000-8000-000000000000')
      .set('Authorization', admin)
      .expect(404);
  });
});

/** Every route mounted under /api/v1, read from the app's router stack. */
function apiRoutes(app: Express): { method: string; path: string }[] {
  type Layer = {
    route?: { path: string; methods: Record<string, boolean> };
    handle?: { stack?: Layer[] };
    matchers?: unknown;
    name?: string;
  };
  const out: { method: string; path: string }[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const m of Object.keys(layer.route.methods)) {
          out.push({ method: m.toUpperCase(), path: `${prefix}${layer.route.path}` });
        }
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack, prefix);
      }
    }
  };
  const root = (app as unknown as { router: { stack: Layer[] } }).router.stack;
  // The api router is the one whose routes answer under /api/v1 (it is mounted there).
  const api = root.find(
    (l) => l.name === 'router' && (l.handle?.stack ?? []).some((s: Layer) => s.handle?.stack),
  );
  if (api?.handle?.stack) walk(api.handle.stack, '/api/v1');
  return out;
}

const sample = (path: string) =>
  path.replace(/:(\w+)/g, (_m, name: string) =>
    name === 'sid' ? `CA${'0'.repeat(32)}` : '00000000-0000-4000-8000-000000000000',
  );

describe('every /api/v1 route', () => {
  it('refuses missing, wrong and revoked keys, and marketers on writes', async () => {
    const routes = apiRoutes(node(0));
    expect(routes.length).toBeGreaterThan(15);
    expect(routes).toContainEqual({ method: 'DELETE', path: '/api/v1/privacy/callers/:e164' });
    const { id, key: revokedKey } = await createKey({ name: 'revoked', role: 'admin' });
    await request(node(0)).delete(`/api/v1/keys/${id}`).set('Authorization', admin).expect(200);
    const { key: marketerKey } = await createKey({ name: 'marketer', role: 'marketer' });

    const failures: string[] = [];
    for (const r of routes) {
      const url =
        r.path === '/api/v1/privacy/callers/:e164'
          ? '/api/v1/privacy/callers/%2B12065550100'
          : sample(r.path);
      const call = (auth?: string) => {
        const req = request(node(1))[r.method.toLowerCase() as 'get'](url);
        return auth ? req.set('Authorization', auth) : req;
      };
      const expectStatus = async (what: string, auth: string | undefined, want: number) => {
        const res = await call(auth);
        if (res.status !== want) failures.push(`${r.method} ${r.path} ${what}: ${res.status}`);
      };
      await expectStatus('missing', undefined, 401);
      await expectStatus('wrong', 'Bearer ll_adm_not-a-key', 401);
      await expectStatus('revoked', `Bearer ${revokedKey}`, 401);
      if (r.method !== 'GET') await expectStatus('marketer', `Bearer ${marketerKey}`, 403);
    }
    expect(failures).toEqual([]);
  });
});
