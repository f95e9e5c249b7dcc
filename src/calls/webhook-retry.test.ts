import { createLogger } from '../shared/logger';
import { DeadlineExceeded } from '../shared/deadline';
import { classifyFailure, createWebhookRetry, type ParkedWebhook } from './webhook-retry';

const log = createLogger('silent');

function harness(store: (item: ParkedWebhook) => Promise<unknown>) {
  let t = Date.parse('2026-06-01T15:00:00Z');
  const stored: string[] = [];
  const dead: { id: string; error: string; attempts: number }[] = [];
  const settled: string[] = [];
  let databaseUp = true;
  const retry = createWebhookRetry({
    attempt: async (item) => {
      await store(item);
      stored.push(item.id);
    },
    deadLetter: async (item, error, attempts) => {
      if (!databaseUp)
        throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
      dead.push({ id: item.id, error, attempts });
    },
    settled: async (id) => void settled.push(id),
    probe: async () => {
      if (!databaseUp) throw new Error('down');
    },
    clock: { now: () => new Date(t) },
    log,
    random: () => 0.5,
    maxAttempts: 3,
    baseDelayMs: 1_000,
  });
  const item = (id: string): ParkedWebhook => ({
    id,
    kind: 'status',
    params: { CallSid: id },
    receivedAt: new Date(t),
  });
  return {
    retry,
    item,
    stored,
    dead,
    settled,
    advance: (ms: number) => (t += ms),
    setDatabase: (up: boolean) => (databaseUp = up),
  };
}

const dataError = () =>
  Object.assign(new Error('invalid input syntax for type timestamp'), { code: '22007' });

describe('webhook retries', () => {
  it('dead-letters a webhook the database refuses at once and stores the ones queued behind it', async () => {
    const h = harness(async (item) => {
      if (item.id === 'poison') throw dataError();
    });
    h.retry.park(h.item('poison'));
    for (let i = 0; i < 5; i++) h.retry.park(h.item(`ok${i}`));
    expect(await h.retry.flush()).toBe(0);
    expect(h.stored.sort()).toEqual(['ok0', 'ok1', 'ok2', 'ok3', 'ok4']);
    expect(h.dead).toEqual([
      { id: 'poison', error: 'invalid input syntax for type timestamp', attempts: 1 },
    ]);
    expect(h.settled.sort()).toEqual(['ok0', 'ok1', 'ok2', 'ok3', 'ok4', 'poison']);
  });

  it('retries an item on its own schedule with growing delays, then dead-letters it after N attempts', async () => {
    let calls = 0;
    const h = harness(async (item) => {
      if (item.id === 'flaky') {
        calls += 1;
        throw new Error('something odd');
      }
    });
    h.retry.park(h.item('flaky'));
    await h.retry.flush(); // attempt 1 fails: next in 1 s (backoff 1 s, jitter at 0.5 → 0.75 s)
    h.retry.park(h.item('late'));
    await h.retry.flush(); // flush tries everything now: attempt 2 fails, 'late' is stored
    expect(h.stored).toEqual(['late']);
    expect(calls).toBe(2);
    await h.retry.flush(); // attempt 3 fails: the third failure dead-letters it
    expect(calls).toBe(3);
    expect(h.dead.map((d) => [d.id, d.attempts])).toEqual([['flaky', 3]]);
    expect(h.retry.size()).toBe(0);
  });

  it('does not count attempts while the database is down, and retries everything once a probe reaches it', async () => {
    let up = false;
    const h = harness(async () => {
      if (!up) throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
    });
    h.setDatabase(false);
    for (let i = 0; i < 3; i++) h.retry.park(h.item(`c${i}`));
    for (let i = 0; i < 10; i++) {
      await h.retry.flush();
      h.advance(60_000);
    }
    expect(h.retry.databaseDown()).toBe(true);
    expect(h.dead).toEqual([]);
    expect(h.retry.size()).toBe(3);
    up = true;
    h.setDatabase(true);
    expect(await h.retry.flush()).toBe(0);
    expect(h.stored.sort()).toEqual(['c0', 'c1', 'c2']);
  });

  it('keeps a poison item until its dead letter can be written', async () => {
    const h = harness(async () => {
      throw dataError();
    });
    h.setDatabase(false);
    h.retry.park(h.item('poison'));
    await h.retry.flush();
    expect(h.retry.size()).toBe(1);
    expect(h.settled).toEqual([]);
    h.setDatabase(true);
    await h.retry.flush();
    expect(h.dead.map((d) => d.id)).toEqual(['poison']);
    expect(h.settled).toEqual(['poison']);
  });

  it('waits for the request’s own write instead of racing it', async () => {
    let finish!: () => void;
    const inFlight = new Promise<void>((r) => (finish = r));
    const h = harness(async () => undefined);
    h.retry.park(h.item('slow'), { inFlight });
    expect(h.retry.size()).toBe(1);
    finish();
    await h.retry.flush();
    expect(h.stored).toEqual([]); // landed through the request's write: no second attempt
    expect(h.settled).toEqual(['slow']);
  });
});

describe('classifyFailure', () => {
  it.each([
    [Object.assign(new Error('x'), { code: '22P05' }), 'data'],
    [Object.assign(new Error('x'), { code: '22003' }), 'data'],
    [new Error('invalid input syntax for type integer: "x"'), 'data'],
    [Object.assign(new Error('x'), { code: '57P01' }), 'unavailable'],
    [Object.assign(new Error('x'), { code: 'CONNECTION_CLOSED' }), 'unavailable'],
    [new DeadlineExceeded(10), 'unavailable'],
    [new TypeError('boom'), 'other'],
  ])('classifies %p as %s', (err, kind) => {
    expect(classifyFailure(err)).toBe(kind);
  });
});
