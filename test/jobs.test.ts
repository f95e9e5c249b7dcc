import express from 'express';
import request from 'supertest';
import PgBoss from 'pg-boss';
import { createJobQueue, type JobQueue, type JobQueueDeps } from '../src/jobs/queue';
import { jobsRoutes } from '../src/jobs/jobs.routes';
import { authenticate, type Principal } from '../src/shared/auth';
import { errorHandler, requestContext } from '../src/shared/http';
import { createLogger } from '../src/shared/logger';
import { ValidationError } from '../src/shared/errors';
import type { Database } from '../src/shared/db';
import { openTestDatabase } from './support/database';
import { createTestContext } from './support/context';

const log = createLogger('silent');
let database: Database;
let drop: () => Promise<void>;
const running: JobQueue[] = [];
let seq = 0;
const sid = () => `CA${String(++seq).padStart(8, '0')}${Date.now().toString(16).padStart(24, '0')}`;

beforeAll(async () => {
  ({ database, drop } = await openTestDatabase());
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((q) => q.stop()));
});
afterAll(() => drop());

/** A queue on the test database with quick polling; `call.score` retries twice, 1 s apart, doubling. */
function queue(over: Partial<JobQueueDeps> = {}) {
  const q = createJobQueue({
    queueDb: database.queueDb,
    log,
    pollingIntervalSeconds: 0.5,
    policies: { 'call.score': { retryLimit: 2, retryDelay: 1, retryBackoff: true } },
    ...over,
  });
  running.push(q);
  return q;
}

async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  what: string,
  ms = 20_000,
) {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('job queue', () => {
  it('refuses a payload that does not match the job schema when it is queued', async () => {
    const q = queue();
    await q.start();
    await expect(q.enqueue('call.score', { callSid: 42 } as never)).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('retries a failing job with growing delays, then moves it to its dead-letter queue', async () => {
    const q = queue();
    const tries: number[] = [];
    const failing = sid();
    q.handle('call.score', async ({ callSid }) => {
      if (callSid !== failing) return;
      tries.push(Date.now());
      throw new Error('scoring store unavailable');
    });
    await q.start();
    await q.enqueue('call.score', { callSid: failing });
    const dead = await waitFor(async () => {
      const letters = await q.listDeadLetters();
      return letters.find((d) => (d.payload as { callSid?: string }).callSid === failing);
    }, 'the dead letter');

    expect(tries).toHaveLength(3);
    const [first, second, third] = tries as [number, number, number];
    // Backoff doubles a 1 s delay (with up to 100 % jitter): ≥1 s, then ≥2 s.
    expect(second - first).toBeGreaterThanOrEqual(950);
    expect(third - second).toBeGreaterThanOrEqual(1950);
    expect(dead).toMatchObject({
      name: 'call.score',
      payload: { callSid: failing },
      error: 'scoring store unavailable',
      attempts: 3,
    });
  });

  it('checks the payload again when a job is taken and dead-letters one it refuses', async () => {
    const q = queue();
    const handled: string[] = [];
    q.handle('call.score', async ({ callSid }) => {
      handled.push(callSid);
    });
    await q.start();
    // Something that bypasses enqueue (an older node, a hand-written row) queues a bad payload.
    const raw = new PgBoss(
      'url' in database.queueDb
        ? { connectionString: database.queueDb.url, supervise: false, schedule: false }
        : { db: database.queueDb as PgBoss.Db, supervise: false, schedule: false },
    );
    await raw.start();
    try {
      await raw.send('call.score', { callSid: 7, marker: 'bad-payload' });
    } finally {
      await raw.stop({ graceful: false, wait: true });
    }
    const dead = await waitFor(async () => {
      const letters = await q.listDeadLetters();
      return letters.find((d) => (d.payload as { marker?: string }).marker === 'bad-payload');
    }, 'the refused job');
    expect(dead.error).toMatch(/^invalid call\.score payload/);
    expect(handled).toEqual([]);
  });

  it('lets an admin list dead letters and queue one again through the API', async () => {
    const q = queue();
    const failing = sid();
    let healthy = false;
    const done: string[] = [];
    q.handle('call.score', async ({ callSid }) => {
      if (callSid === failing && !healthy) throw new Error('still down');
      done.push(callSid);
    });
    await q.start();
    await q.enqueue('call.score', { callSid: failing });
    await waitFor(async () => {
      const letters = await q.listDeadLetters();
      return letters.find((d) => (d.payload as { callSid?: string }).callSid === failing);
    }, 'the dead letter');

    const app = express();
    app.use(requestContext(log));
    app.use(
      authenticate(async (key): Promise<Principal | undefined> =>
        key === 'admin' || key === 'marketer' ? { keyId: key, role: key } : undefined,
      ),
    );
    app.use('/api/v1', jobsRoutes(q));
    app.use(errorHandler);

    await request(app)
      .get('/api/v1/jobs/dead-letters')
      .set('Authorization', 'Bearer marketer')
      .expect(403);
    const list = await request(app)
      .get('/api/v1/jobs/dead-letters')
      .set('Authorization', 'Bearer admin')
      .expect(200);
    const letter = (list.body.deadLetters as { id: string; payload: { callSid?: string } }[]).find(
      (d) => d.payload.callSid === failing,
    );
    expect(letter).toMatchObject({ name: 'call.score', error: 'still down', attempts: 3 });

    healthy = true;
    const retried = await request(app)
      .post(`/api/v1/jobs/dead-letters/${letter?.id}/retry`)
      .set('Authorization', 'Bearer admin')
      .expect(202);
    expect(retried.body).toMatchObject({
      id: letter?.id,
      name: 'call.score',
      jobId: expect.any(String),
    });
    await waitFor(() => (done.includes(failing) ? true : undefined), 'the retried job');
    const after = await q.listDeadLetters();
    expect(after.find((d) => d.id === letter?.id)).toBeUndefined();
    await request(app)
      .post(`/api/v1/jobs/dead-letters/${letter?.id}/retry`)
      .set('Authorization', 'Bearer admin')
      .expect(404);
  });

  it('works a backlog batch after batch without sleeping a polling interval between them', async () => {
    // Polls 30 s apart, two jobs a batch: six jobs queued while the first batch is held.
    const q = queue({ pollingIntervalSeconds: 30, concurrency: 2 });
    const done: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    q.handle('call.score', async ({ callSid }) => {
      if (done.length === 0) await held;
      done.push(callSid);
    });
    await q.start();
    const sids = Array.from({ length: 6 }, sid);
    for (const callSid of sids) await q.enqueue('call.score', { callSid });
    release();
    // Without fetching again after a full batch, the rest would wait for the next poll (30 s).
    await waitFor(() => (done.length === sids.length ? true : undefined), 'the backlog', 10_000);
    expect([...done].sort()).toEqual([...sids].sort());
  });

  it('never runs one job twice when two queue instances share the database', async () => {
    const runs: { callSid: string; by: string }[] = [];
    const worker =
      (by: string) =>
      async ({ callSid }: { callSid: string }) => {
        runs.push({ callSid, by });
        await new Promise((r) => setTimeout(r, 20));
      };
    const a = queue({ concurrency: 3 });
    const b = queue({ concurrency: 3 });
    a.handle('call.score', worker('a'));
    b.handle('call.score', worker('b'));
    await a.start();
    await b.start();
    const sids = Array.from({ length: 40 }, sid);
    // Half queued through each instance, so both are woken as well as polling.
    await Promise.all(sids.map((s, i) => (i % 2 ? a : b).enqueue('call.score', { callSid: s })));
    await waitFor(
      () => (sids.every((s) => runs.some((r) => r.callSid === s)) ? true : undefined),
      'every job to run',
    );
    // Give a duplicate the chance to show up: both instances poll again at least twice.
    const settled = Date.now() + 1500;
    await waitFor(() => (Date.now() > settled ? true : undefined), 'a quiet period');
    const mine = runs.filter((r) => sids.includes(r.callSid));
    expect(mine).toHaveLength(sids.length);
    expect(new Set(mine.map((r) => r.callSid)).size).toBe(sids.length);
  });
});

describe('/api/v1/jobs/dead-letters in the app', () => {
  it('is mounted for admins and answers from the queue the context started', async () => {
    const t = await createTestContext();
    try {
      const res = await request(t.app)
        .get('/api/v1/jobs/dead-letters')
        .set('Authorization', t.admin)
        .expect(200);
      expect(res.body).toEqual({ deadLetters: [] });
      await request(t.app).get('/api/v1/jobs/dead-letters').expect(401);
      await request(t.app)
        .post('/api/v1/jobs/dead-letters/00000000-0000-4000-8000-000000000000/retry')
        .set('Authorization', t.admin)
        .expect(404);
    } finally {
      await t.close();
    }
  });
});
