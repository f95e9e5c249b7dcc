import request from 'supertest';
import type { Express } from 'express';
import { createTestContext, type TestContext } from './support/context';
import { ManualClock } from './support/clock';

/**
 * Reads that need the admin role: they show caller numbers (dead letters), keys or the erasure
 * log. Every other GET is open to marketers, and every write needs an admin. A new admin-only
 * read must be added here, on purpose.
 */
const ADMIN_ONLY_READS = new Set([
  'GET /api/v1/calls/webhook-dead-letters',
  'GET /api/v1/jobs/dead-letters',
  'GET /api/v1/keys',
  'GET /api/v1/privacy/erasures',
]);

const clock = new ManualClock('2026-06-01T15:00:00Z');
let t: TestContext;
beforeAll(async () => {
  t = await createTestContext({ clock });
});
afterAll(() => t.close());

type Layer = {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  name?: string;
};

/**
 * Every route of the router mounted at /api/v1, read from the app's own router stack (so a route
 * added tomorrow is covered without editing this test). The api router is found by asking the
 * app: it is the one layer that matches /api/v1/… and is itself a router of routers.
 */
function apiRoutes(app: Express): { method: string; path: string }[] {
  const root = (
    app as unknown as { router: { stack: (Layer & { match?: (p: string) => unknown })[] } }
  ).router.stack;
  const api = root.filter(
    (l) => l.name === 'router' && !!l.match?.('/api/v1/anything') && !l.match?.('/anything'),
  );
  expect(api).toHaveLength(1);
  const out: { method: string; path: string }[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const m of Object.keys(layer.route.methods)) {
          out.push({ method: m.toUpperCase(), path: `/api/v1${layer.route.path}` });
        }
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack);
      }
    }
  };
  walk(api[0]?.handle?.stack ?? []);
  return out;
}

/** A URL for the route, with plausible ids (well-formed, so a 400 cannot hide an auth answer). */
const sample = (path: string) =>
  path.replace(/:(\w+)/g, (_m, name: string) => {
    if (name === 'sid') return `CA${'0'.repeat(32)}`;
    if (name === 'e164') return '%2B12065550100';
    if (name === 'jobId') return '00000000-0000-4000-8000-000000000000';
    return '00000000-0000-4000-8000-000000000000';
  });

describe('every /api/v1 route', () => {
  it('refuses missing, malformed, wrong, revoked and expired keys with 401, and under-privileged keys with 403', async () => {
    const routes = apiRoutes(t.app);
    expect(routes.length).toBeGreaterThan(25);
    const names = new Set(routes.map((r) => `${r.method} ${r.path}`));
    for (const r of ADMIN_ONLY_READS) expect(names).toContain(r);
    expect(names).toContain('DELETE /api/v1/privacy/callers/:e164');
    expect(names).toContain('PUT /api/v1/calls/:sid/disposition');

    const revoked = await t.ctx.keys.createKey('admin', 'soon revoked');
    await request(t.app)
      .delete(`/api/v1/keys/${revoked.id}`)
      .set('Authorization', t.admin)
      .expect(200);
    const expiring = await t.ctx.keys.createKey(
      'admin',
      'soon expired',
      new Date(clock.now().getTime() + 60_000),
    );
    const marketer = await t.ctx.keys.createKey('marketer', 'a marketer');
    // The expiring key works until its time comes, on the injected clock.
    await request(t.app)
      .get('/api/v1/sites')
      .set('Authorization', `Bearer ${expiring.key}`)
      .expect(200);
    clock.advance(120_000);

    const refused: { what: string; auth?: string; want: number }[] = [
      { what: 'missing', want: 401 },
      {
        what: 'malformed',
        auth: `Basic ${Buffer.from('admin:admin').toString('base64')}`,
        want: 401,
      },
      { what: 'empty bearer', auth: 'Bearer ', want: 401 },
      { what: 'wrong', auth: 'Bearer ll_adm_not-a-key', want: 401 },
      {
        what: 'admin key with a character changed',
        auth: `Bearer ${t.adminKey.slice(0, -1)}x`,
        want: 401,
      },
      { what: 'revoked', auth: `Bearer ${revoked.key}`, want: 401 },
      { what: 'expired', auth: `Bearer ${expiring.key}`, want: 401 },
    ];
    const failures: string[] = [];
    for (const r of routes) {
      const name = `${r.method} ${r.path}`;
      const call = (auth?: string) => {
        const req = request(t.app)[r.method.toLowerCase() as 'get'](sample(r.path));
        return auth ? req.set('Authorization', auth) : req;
      };
      for (const k of refused) {
        const res = await call(k.auth);
        if (res.status !== k.want) failures.push(`${name} ${k.what}: ${res.status}`);
        else if (res.body?.error?.code !== 'unauthorized') {
          failures.push(`${name} ${k.what}: error code ${String(res.body?.error?.code)}`);
        }
      }
      const adminOnly = r.method !== 'GET' || ADMIN_ONLY_READS.has(name);
      const asMarketer = await call(`Bearer ${marketer.key}`);
      if (adminOnly && asMarketer.status !== 403) {
        failures.push(`${name} marketer: ${asMarketer.status}, wanted 403`);
      }
      if (!adminOnly && [401, 403].includes(asMarketer.status)) {
        failures.push(`${name} marketer: ${asMarketer.status}, a marketer may read it`);
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
