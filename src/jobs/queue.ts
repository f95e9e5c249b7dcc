import PgBoss from 'pg-boss';
import type { QueueDb } from '../shared/db';
import { NotFoundError, ValidationError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { parseInput } from '../shared/validation';
import {
  deadLetterQueue,
  jobNames,
  jobs,
  retryPolicies,
  type JobName,
  type JobPayload,
  type RetryPolicy,
} from './jobs';

/*
 * pg-boss 10.4 facts this file relies on, read in the installed package's types.d.ts and src/
 * (manager.js, plans.js, attorney.js, index.js, worker.js); the project's docs/api/queues.md
 * describes the same createQueue options (deadLetter, retry*) for later versions:
 * - `new PgBoss({ connectionString })` opens its own pg pool; `new PgBoss({ db })` takes any
 *   `{ executeSql(text, values) → { rows } }` and never closes it. Its schema install and
 *   migrations send multi-statement SQL without parameters (so PGlite must run those via exec).
 * - v10 requires `createQueue(name, { retryLimit, retryDelay, retryBackoff, expireInSeconds,
 *   deadLetter })` before send/work; create_queue() is `insert … on conflict do nothing`, so
 *   every node may call it; updateQueue() applies changed policies. `retryDelay` is whole seconds.
 * - A failed try goes to state `retry` with start_after = now + delay·2^(n+1)/2·(1+random) when
 *   retryBackoff is on (plans.js failJobs); once retry_count reaches retry_limit it becomes
 *   `failed` and a copy (data, output = the serialized error, retry_limit) is inserted into the
 *   dead-letter queue in the same statement.
 * - Jobs are fetched with `for update skip locked`, so several instances never take one job twice.
 * - A handler that throws fails its job with the error as output; work() handlers get arrays,
 *   and the whole array is completed or failed together.
 * - A worker waits its polling interval after every fetch, busy or not; notifyWorker(id) cuts the
 *   wait short, so batchSize (`concurrency`) and notifying on enqueue set a node's throughput.
 * - Dead letters are ordinary `created` jobs in the dead-letter queue; nobody works them, and
 *   pg-boss's maintenance deletes them once their retention (14 days by default) runs out.
 */

export interface JobContext {
  id: string;
  /** Tries before this one (0 on the first). */
  retryCount: number;
}
export type JobHandler<N extends JobName> = (
  payload: JobPayload<N>,
  job: JobContext,
) => Promise<void>;

export interface DeadLetter {
  id: string;
  name: JobName;
  payload: unknown;
  error: string | null;
  /** Tries made before it was given up (the first and every retry). */
  attempts: number;
  failedAt: Date;
}

export interface JobQueueDeps {
  queueDb: QueueDb;
  log: Logger;
  /** Overrides of retryPolicies (tests use short delays). */
  policies?: Partial<Record<JobName, Partial<RetryPolicy>>>;
  /** How often an idle worker looks for jobs (pg-boss's minimum is 0.5 s). */
  pollingIntervalSeconds?: number;
  /** Jobs one worker takes per poll and runs at once, per job name. */
  concurrency?: number;
  /** Run maintenance (expiry, retention) on this instance. */
  supervise?: boolean;
}

const SCHEMA = 'pgboss';

/** The one job queue: typed enqueue, validated payloads, retries with backoff, dead letters. */
export function createJobQueue(deps: JobQueueDeps) {
  const { log } = deps;
  const options: PgBoss.ConstructorOptions = {
    schema: SCHEMA,
    supervise: deps.supervise ?? true,
    // Cron schedules are not used yet; no need to run their clock.
    schedule: false,
  };
  const boss =
    'url' in deps.queueDb
      ? new PgBoss({ ...options, connectionString: deps.queueDb.url, max: 4 })
      : new PgBoss({ ...options, db: deps.queueDb as PgBoss.Db });
  boss.on('error', (err: unknown) => log.error({ err }, 'job queue error'));

  const handlers = new Map<JobName, JobHandler<JobName>>();
  const policyOf = (name: JobName): RetryPolicy => ({
    ...retryPolicies[name],
    ...deps.policies?.[name],
  });
  let started = false;
  /** This instance's worker per job name, woken when a job is queued here. */
  const workers = new Map<JobName, string>();

  async function ensureQueues() {
    for (const name of jobNames) {
      const dead = deadLetterQueue(name);
      await boss.createQueue(dead, { name: dead });
      const queue = { name, ...policyOf(name), deadLetter: dead };
      await boss.createQueue(name, queue);
      await boss.updateQueue(name, queue);
    }
  }

  async function runJob(name: JobName, job: PgBoss.JobWithMetadata<unknown>) {
    const parsed = jobs[name].safeParse(job.data);
    if (!parsed.success) {
      // Retrying cannot fix a bad payload, but the dead letter keeps it for a person to see.
      throw new Error(`invalid ${name} payload: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    }
    const handler = handlers.get(name);
    if (!handler) throw new Error(`no handler for ${name}`);
    try {
      await handler(parsed.data, { id: job.id, retryCount: job.retryCount });
    } catch (err) {
      log.warn({ err, job: name, jobId: job.id, retryCount: job.retryCount }, 'job failed');
      throw err;
    }
  }

  return {
    /** Registers the handler of a job; workers start with start(). */
    handle<N extends JobName>(name: N, handler: JobHandler<N>): void {
      handlers.set(name, handler as unknown as JobHandler<JobName>);
    },

    /** Installs or migrates pg-boss's schema, creates the queues and starts the workers. */
    async start(): Promise<void> {
      if (started) return;
      await boss.start();
      await ensureQueues();
      const batchSize = deps.concurrency ?? 5;
      for (const name of handlers.keys()) {
        const workerId = await boss.work(
          name,
          {
            includeMetadata: true,
            batchSize,
            pollingIntervalSeconds: deps.pollingIntervalSeconds ?? 2,
          },
          async (batch: PgBoss.JobWithMetadata<unknown>[]) => {
            // pg-boss completes or fails a batch as a whole, so each job that fails is failed
            // here on its own; pg-boss then completes only the jobs still active.
            await Promise.all(
              batch.map((job) =>
                runJob(name, job).catch((err: unknown) => boss.fail(name, job.id, err as object)),
              ),
            );
            // A full batch means more may be waiting: fetch again at once rather than sleep a
            // polling interval, so a backlog drains as fast as it is worked, not a batch per poll.
            const worker = workers.get(name);
            if (batch.length >= batchSize && worker && started) boss.notifyWorker(worker);
          },
        );
        workers.set(name, workerId);
      }
      started = true;
    },

    /** Stops the workers, waiting for running jobs; the database is left open. */
    async stop(): Promise<void> {
      if (!started) return;
      started = false;
      workers.clear();
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
    },

    /** Queues a job; a payload that does not match the job's schema is a ValidationError. */
    async enqueue<N extends JobName>(
      name: N,
      payload: JobPayload<N>,
      opts: { id?: string } = {},
    ): Promise<string> {
      const data = parseInput(jobs[name], payload, `${name} payload`) as object;
      const id = await boss.send(name, data, opts.id ? { id: opts.id } : {});
      if (!id) throw new Error(`${name} was not queued`);
      // Workers sleep between polls; a job queued on this node need not wait for the next one.
      const worker = workers.get(name);
      if (worker && started) boss.notifyWorker(worker);
      return id;
    },

    /**
     * Queues a job at most once per period of `seconds` across every node sharing the queue:
     * pg-boss gives the job the period's slot (from the database's clock, so nodes agree) and a
     * unique index on name + slot refuses a second one. Answers the job id, or null when this
     * period's job was already queued (by this node or another).
     */
    async enqueueOncePer<N extends JobName>(
      name: N,
      payload: JobPayload<N>,
      seconds: number,
    ): Promise<string | null> {
      const data = parseInput(jobs[name], payload, `${name} payload`) as object;
      const slot = Math.max(1, Math.round(seconds));
      const id = await boss.sendThrottled(name, data, {}, slot);
      const worker = workers.get(name);
      if (id && worker && started) boss.notifyWorker(worker);
      return id;
    },

    /** A job's state, or null when it is unknown (or past retention). */
    async jobState(name: JobName, id: string) {
      const job = await boss.getJobById(name, id, { includeArchive: true });
      return job ? { state: job.state, retryCount: job.retryCount } : null;
    },

    /** Jobs whose retries are spent, newest first. */
    async listDeadLetters(limit = 100): Promise<DeadLetter[]> {
      const db = boss.getDb() as PgBoss.Db;
      const { rows } = await db.executeSql(
        `select id, name, data, output, retry_limit, created_on
           from ${SCHEMA}.job
          where name = any($1::text[]) and state = 'created'
          order by created_on desc
          limit $2`,
        [jobNames.map(deadLetterQueue), limit],
      );
      return (rows as DeadLetterRow[]).map(toDeadLetter);
    },

    /**
     * Privacy: deletes jobs (queued, retrying, finished, archived and dead letters; never one that
     * is running) whose payload has one of these values at its top level; `names` limits it to
     * those jobs and their dead letters. Answers how many were deleted.
     */
    async eraseJobs(values: string[], names: JobName[] = jobNames): Promise<number> {
      if (values.length === 0 || names.length === 0) return 0;
      const db = boss.getDb() as PgBoss.Db;
      const queues = names.flatMap((n) => [n, deadLetterQueue(n)]);
      let deleted = 0;
      for (const table of ['job', 'archive']) {
        const { rows } = await db.executeSql(
          `delete from ${SCHEMA}.${table} j
            where j.name = any($1::text[]) and j.state <> 'active'
              and jsonb_typeof(j.data) = 'object'
              and exists (select 1 from jsonb_each_text(j.data) d where d.value = any($2::text[]))
            returning j.id`,
          [queues, values],
        );
        deleted += rows.length;
      }
      return deleted;
    },

    /** Jobs waiting (queued or retrying) and dead letters per job name, for /metrics. */
    async depth(): Promise<{ name: JobName; waiting: number; dead: number }[]> {
      const db = boss.getDb() as PgBoss.Db;
      const { rows } = await db.executeSql(
        `select name, count(*)::int as n from ${SCHEMA}.job
          where name = any($1::text[]) and state in ('created', 'retry')
          group by name`,
        [jobNames.flatMap((n) => [n, deadLetterQueue(n)])],
      );
      const counts = new Map((rows as { name: string; n: number }[]).map((r) => [r.name, r.n]));
      return jobNames.map((name) => ({
        name,
        waiting: Number(counts.get(name) ?? 0),
        dead: Number(counts.get(deadLetterQueue(name)) ?? 0),
      }));
    },

    /** Queues a dead letter's payload again as a fresh job and removes the dead letter. */
    async retryDeadLetter(id: string): Promise<{ id: string; jobId: string; name: JobName }> {
      for (const name of jobNames) {
        const dead = await boss.getJobById<unknown>(deadLetterQueue(name), id);
        if (!dead || dead.state !== 'created') continue;
        const parsed = jobs[name].safeParse(dead.data);
        if (!parsed.success) {
          throw new ValidationError(`dead letter ${id} has a payload ${name} no longer accepts`);
        }
        const jobId = await boss.send(name, parsed.data as object);
        if (!jobId) throw new Error(`${name} was not queued`);
        await boss.deleteJob(deadLetterQueue(name), id);
        log.info({ job: name, deadLetterId: id, jobId }, 'dead letter queued again');
        return { id, jobId, name };
      }
      throw new DeadLetterNotFound();
    },
  };
}
export type JobQueue = ReturnType<typeof createJobQueue>;
/** Queues a job by name with its typed payload. */
export type Enqueue = JobQueue['enqueue'];

interface DeadLetterRow {
  id: string;
  name: string;
  data: unknown;
  output: unknown;
  retry_limit: number;
  created_on: Date | string;
}

function toDeadLetter(row: DeadLetterRow): DeadLetter {
  const output = (typeof row.output === 'string' ? safeJson(row.output) : row.output) as {
    message?: unknown;
  } | null;
  return {
    id: row.id,
    name: row.name.replace(/\.dead$/, '') as JobName,
    payload: typeof row.data === 'string' ? safeJson(row.data) : row.data,
    error: typeof output?.message === 'string' ? output.message : null,
    attempts: Number(row.retry_limit) + 1,
    failedAt: new Date(row.created_on),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** No dead letter with that id. */
export class DeadLetterNotFound extends NotFoundError {
  constructor() {
    super('dead letter', 'dead_letter_not_found');
  }
}
