/**
 * Gathers database writes into batches: while a batch is in flight, requests that arrive wait for
 * the next one, so a busy node sends one statement (one commit) for many requests and an idle
 * node sends each request at once, with no added delay (DNI steps). A batch that fails is retried
 * one request at a time, so one request's failure (or a rare lock-order abort) is that request's
 * alone. (Routing decisions were tried this way too, and measured no faster than one each.)
 */
export interface BatcherOptions<In, Out> {
  /** Runs several requests in one statement; answers in the same order. */
  runMany(requests: In[]): Promise<Out[]>;
  /** Runs one request alone (a lone request, and the retry of a failed batch). */
  runOne(request: In): Promise<Out>;
  /** Largest batch. */
  maxBatch: number;
  /** Batches in flight at once (each holds a database connection). */
  maxInFlight: number;
}

interface Waiting<In, Out> {
  request: In;
  resolve(out: Out): void;
  reject(err: unknown): void;
}

export function createBatcher<In, Out>(opts: BatcherOptions<In, Out>) {
  const queue: Waiting<In, Out>[] = [];
  let inFlight = 0;

  async function runBatch(batch: Waiting<In, Out>[]): Promise<void> {
    if (batch.length === 1) {
      const [only] = batch as [Waiting<In, Out>];
      await opts.runOne(only.request).then(only.resolve, only.reject);
      return;
    }
    let answers: Out[];
    try {
      answers = await opts.runMany(batch.map((w) => w.request));
      if (answers.length !== batch.length) throw new Error('a batch answered the wrong count');
    } catch {
      await Promise.all(batch.map((w) => opts.runOne(w.request).then(w.resolve, w.reject)));
      return;
    }
    batch.forEach((w, i) => w.resolve(answers[i] as Out));
  }

  function pump(): void {
    while (inFlight < opts.maxInFlight && queue.length > 0) {
      const batch = queue.splice(0, opts.maxBatch);
      inFlight++;
      void runBatch(batch).finally(() => {
        inFlight--;
        pump();
      });
    }
  }

  return {
    submit(request: In): Promise<Out> {
      return new Promise<Out>((resolve, reject) => {
        queue.push({ request, resolve, reject });
        pump();
      });
    },
  };
}
