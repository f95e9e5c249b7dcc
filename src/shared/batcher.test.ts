import { createBatcher } from './batcher';

/** A gate the test opens by hand, so batches form while one is in flight. */
function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
}

describe('createBatcher', () => {
  it('sends a lone request at once, and gathers the ones that arrive while it is in flight', async () => {
    const first = gate();
    const calls: string[][] = [];
    const batcher = createBatcher<number, number>({
      maxBatch: 32,
      maxInFlight: 1,
      runOne: async (n) => {
        calls.push([`one:${n}`]);
        await first.opened;
        return n * 10;
      },
      runMany: async (ns) => {
        calls.push(ns.map((n) => `many:${n}`));
        return ns.map((n) => n * 10);
      },
    });
    const lone = batcher.submit(1);
    const later = [2, 3, 4].map((n) => batcher.submit(n));
    expect(calls).toEqual([['one:1']]);
    first.open();
    expect(await lone).toBe(10);
    expect(await Promise.all(later)).toEqual([20, 30, 40]);
    expect(calls).toEqual([['one:1'], ['many:2', 'many:3', 'many:4']]);
  });

  it('keeps batches within maxBatch', async () => {
    const first = gate();
    const sizes: number[] = [];
    const batcher = createBatcher<number, number>({
      maxBatch: 3,
      maxInFlight: 1,
      runOne: async (n) => {
        sizes.push(1);
        await first.opened;
        return n;
      },
      runMany: async (ns) => {
        sizes.push(ns.length);
        return ns;
      },
    });
    const all = Promise.all([0, 1, 2, 3, 4, 5, 6].map((n) => batcher.submit(n)));
    first.open();
    expect(await all).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(sizes).toEqual([1, 3, 3]);
  });

  it('retries a failed batch one request at a time, so only the bad request fails', async () => {
    const first = gate();
    const batcher = createBatcher<number, number>({
      maxBatch: 32,
      maxInFlight: 1,
      runOne: async (n) => {
        await first.opened;
        if (n === 3) throw new Error('bad request 3');
        return n;
      },
      runMany: async () => {
        throw new Error('the batch failed');
      },
    });
    const results = [1, 2, 3, 4].map((n) => batcher.submit(n).catch((e: Error) => e.message));
    first.open();
    expect(await Promise.all(results)).toEqual([1, 2, 'bad request 3', 4]);
  });

  it('runs up to maxInFlight batches at once', async () => {
    const held = gate();
    let running = 0;
    let most = 0;
    const batcher = createBatcher<number, number>({
      maxBatch: 1,
      maxInFlight: 2,
      runOne: async (n) => {
        running++;
        most = Math.max(most, running);
        await held.opened;
        running--;
        return n;
      },
      runMany: async (ns) => ns,
    });
    const all = Promise.all([1, 2, 3, 4, 5].map((n) => batcher.submit(n)));
    await Promise.resolve();
    expect(running).toBe(2);
    held.open();
    await all;
    expect(most).toBe(2);
  });
});
