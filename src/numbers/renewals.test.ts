import pino from 'pino';
import type { LeaseExtension, NumbersRepo, SessionTouch } from './numbers.repo';
import { createRenewalBuffer } from './renewals';

const T0 = Date.parse('2026-06-01T15:00:00Z');

function setup(extend: (batch: LeaseExtension[]) => Promise<Set<string>>) {
  let now = T0;
  const batches: LeaseExtension[][] = [];
  const repo = {
    extendLeases: async (batch: LeaseExtension[]) => {
      batches.push(batch);
      return extend(batch);
    },
  } as unknown as NumbersRepo;
  const buffer = createRenewalBuffer({
    repo,
    clock: { now: () => new Date(now) },
    log: pino({ level: 'silent' }),
    options: { flushEveryMs: 3_600_000, reuseMarginMs: 10_000, maxVisitors: 100 },
  });
  const touched = (visitor: string, holdSeconds = 60): SessionTouch => ({
    sessionId: `s-${visitor}`,
    visitorId: visitor,
    campaignId: 'c',
    holdSeconds,
    numberId: `n-${visitor}`,
    e164: '+14155550123',
    shared: false,
    expiresAt: new Date(now + holdSeconds * 1000),
    exhausted: false,
    renewed: false,
  });
  return { buffer, batches, touched, advance: (ms: number) => (now += ms) };
}

describe('renewal buffer', () => {
  it('renews from memory only while the database shows the lease for longer than the margin', async () => {
    const { buffer, touched, advance } = setup(async (b) => new Set(b.map((x) => x.sessionId)));
    buffer.remember('site', touched('v1'));
    advance(49_000);
    expect(buffer.renew('site', 'v1', 'c', false)?.expiresAt.getTime()).toBe(T0 + 109_000);
    advance(2_000); // 9 s left in the database: the database must answer
    expect(buffer.renew('site', 'v1', 'c', false)).toBeUndefined();
    await buffer.stop();
  });

  it('does not renew a visitor who came back through another campaign', async () => {
    const { buffer, touched } = setup(async (b) => new Set(b.map((x) => x.sessionId)));
    buffer.remember('site', touched('v1'));
    expect(buffer.renew('site', 'v1', 'other', true)).toBeUndefined();
    expect(buffer.renew('site', 'v1', 'other', false)).toBeDefined();
    await buffer.stop();
  });

  it('writes every pending renewal in one batch and then trusts the new expiry', async () => {
    const { buffer, batches, touched, advance } = setup(
      async (b) => new Set(b.map((x) => x.sessionId)),
    );
    for (const v of ['a', 'b', 'c']) buffer.remember('site', touched(v));
    advance(30_000);
    for (const v of ['a', 'b', 'c', 'a']) buffer.renew('site', v, 'c', false);
    await buffer.flush();
    expect(batches).toHaveLength(1);
    expect(batches[0]?.map((b) => b.sessionId).sort()).toEqual(['s-a', 's-b', 's-c']);
    advance(45_000); // past the first lease, within the flushed one
    expect(buffer.renew('site', 'a', 'c', false)).toBeDefined();
    await buffer.stop();
  });

  it('forgets a visitor whose lease the database no longer extends', async () => {
    const { buffer, touched, advance } = setup(async () => new Set());
    buffer.remember('site', touched('v1'));
    advance(10_000);
    buffer.renew('site', 'v1', 'c', false);
    await buffer.flush();
    expect(buffer.renew('site', 'v1', 'c', false)).toBeUndefined();
    await buffer.stop();
  });

  it('drops renewals whose flush keeps failing once the margin no longer covers them', async () => {
    const { buffer, batches, touched } = setup(async () => {
      throw new Error('database down');
    });
    buffer.remember('site', touched('v1'));
    buffer.renew('site', 'v1', 'c', false);
    await buffer.flush(); // 3,600,000 ms per attempt ≥ the margin: one failure gives up
    expect(batches).toHaveLength(1);
    expect(buffer.unflushed()).toBe(0);
    expect(buffer.renew('site', 'v1', 'c', false)).toBeUndefined();
    await buffer.stop();
  });
});
