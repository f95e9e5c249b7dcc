import type { Request, RequestHandler, Response } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { sameSecret } from '../shared/auth';
import { withDeadline } from '../shared/deadline';
import type { Logger } from '../shared/logger';

/** What /metrics reads when it is scraped; each source is optional, and a failing one is logged. */
export interface MetricSources {
  /** Jobs waiting and dead letters per job name (the job queue). */
  queueDepth?: () => Promise<{ name: string; waiting: number; dead: number }[]>;
  /** Whether the Salesforce sync is paused (not configured), and its dead letters. */
  salesforce?: () => Promise<{ paused: boolean; dead: number }>;
  /** Each campaign's pool size and numbers leased now (one query). */
  pools?: () => Promise<{ campaignId: string; size: number; leased: number }[]>;
  /** Pool exhaustions this process has seen, per campaign (in memory). */
  poolExhaustions?: () => ReadonlyMap<string, number>;
  /** Webhooks acknowledged from the local journal and not yet in the database (in memory). */
  journalBacklog?: () => number;
  /** Webhooks in the dead-letter store (the database refused them). */
  webhookDeadLetters?: () => Promise<number>;
}

/**
 * One call for every gauge that reads a source during the same scrape: prom-client collects all
 * metrics at once, so the gauges sharing a query wait for one promise instead of each asking.
 */
function sharedWhilePending<T>(fn: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => (pending ??= fn().finally(() => (pending = undefined)));
}

/** How long a scrape waits for one source (a database query) before leaving its gauges out. */
const SOURCE_TIMEOUT_MS = 2_000;
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10];

/**
 * Prometheus metrics in a registry of their own (not prom-client's global one), so several
 * contexts in one process (tests, scripts) do not clash.
 */
export function createMetrics(deps: { sources?: MetricSources; log: Logger }) {
  const registry = new Registry();
  const given = deps.sources ?? {};
  const sources: MetricSources = {
    ...given,
    queueDepth: given.queueDepth && sharedWhilePending(given.queueDepth),
    salesforce: given.salesforce && sharedWhilePending(given.salesforce),
    pools: given.pools && sharedWhilePending(given.pools),
  };
  collectDefaultMetrics({ register: registry, prefix: 'leadline_' });

  const requests = new Counter({
    name: 'leadline_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'leadline_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });

  // Bounded: a scrape while the database hangs answers without these gauges rather than hang too.
  const quietly = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await withDeadline(fn(), SOURCE_TIMEOUT_MS);
    } catch (err) {
      deps.log.warn({ err, source: what }, 'metric source failed');
      return undefined;
    }
  };

  new Gauge({
    name: 'leadline_jobs_waiting',
    help: 'Jobs queued or waiting for a retry, by job name',
    labelNames: ['job'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const depth = sources.queueDepth && (await quietly('queue', sources.queueDepth));
      for (const d of depth ?? []) this.set({ job: d.name }, d.waiting);
    },
  });
  new Gauge({
    name: 'leadline_jobs_dead_letters',
    help: 'Jobs whose retries are spent, by job name',
    labelNames: ['job'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const depth = sources.queueDepth && (await quietly('queue', sources.queueDepth));
      for (const d of depth ?? []) this.set({ job: d.name }, d.dead);
    },
  });
  new Gauge({
    name: 'leadline_salesforce_sync_paused',
    help: '1 when the Salesforce sync is not running (not configured), else 0',
    registers: [registry],
    async collect() {
      const s = sources.salesforce && (await quietly('salesforce', sources.salesforce));
      if (s) this.set(s.paused ? 1 : 0);
    },
  });
  new Gauge({
    name: 'leadline_salesforce_dead_letters',
    help: 'Calls Salesforce refused for their data (sync dead letters)',
    registers: [registry],
    async collect() {
      const s = sources.salesforce && (await quietly('salesforce', sources.salesforce));
      if (s) this.set(s.dead);
    },
  });

  new Gauge({
    name: 'leadline_pool_numbers',
    help: 'Active pool numbers, by campaign',
    labelNames: ['campaign'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const p = sources.pools && (await quietly('pools', sources.pools));
      for (const pool of p ?? []) this.set({ campaign: pool.campaignId }, pool.size);
    },
  });
  new Gauge({
    name: 'leadline_pool_numbers_leased',
    help: 'Pool numbers leased now (exclusively or shared), by campaign',
    labelNames: ['campaign'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const p = sources.pools && (await quietly('pools', sources.pools));
      for (const pool of p ?? []) this.set({ campaign: pool.campaignId }, pool.leased);
    },
  });
  new Counter({
    name: 'leadline_pool_exhaustions_total',
    help: 'Visitors who found their campaign pool exhausted (given a shared or source number), by campaign, since this process started',
    labelNames: ['campaign'] as const,
    registers: [registry],
    collect() {
      if (!sources.poolExhaustions) return;
      this.reset();
      for (const [campaign, n] of sources.poolExhaustions()) this.inc({ campaign }, n);
    },
  });
  new Gauge({
    name: 'leadline_webhook_journal_backlog',
    help: 'Webhooks acknowledged from the local journal and not yet in the database',
    registers: [registry],
    collect() {
      if (sources.journalBacklog) this.set(sources.journalBacklog());
    },
  });
  new Gauge({
    name: 'leadline_webhook_dead_letters',
    help: 'Webhooks in the dead-letter store (the database refused them), waiting for an admin',
    registers: [registry],
    async collect() {
      const n =
        sources.webhookDeadLetters &&
        (await quietly('webhook dead letters', sources.webhookDeadLetters));
      if (n !== undefined) this.set(n);
    },
  });

  return {
    registry,

    /**
     * Times every request and labels it with the express route pattern that answered it (never
     * the raw URL, which would carry ids and phone numbers and grow without bound).
     */
    middleware(): RequestHandler {
      return function measureRequest(req, res, next) {
        const end = latency.startTimer();
        const pattern = capturePattern(req);
        res.on('finish', () => {
          const labels = {
            method: req.method,
            route: pattern(),
            status: String(res.statusCode),
          };
          end(labels);
          requests.inc(labels);
        });
        next();
      };
    },

    /** `GET /metrics`: the text format; with a token configured, only with that Bearer token. */
    handler(token?: string): RequestHandler {
      return async function metrics(req: Request, res: Response) {
        if (token) {
          const m = /^Bearer\s+(\S{1,200})\s*$/i.exec(req.get('authorization') ?? '');
          if (!m?.[1] || !sameSecret(m[1], token)) {
            res
              .status(401)
              .json({ error: { code: 'unauthorized', message: 'metrics token required' } });
            return;
          }
        }
        res.setHeader('Content-Type', registry.contentType);
        res.send(await registry.metrics());
      };
    },
  };
}
export type Metrics = ReturnType<typeof createMetrics>;

/**
 * The route pattern that answers, e.g. `/api/v1/calls/:sid` (`unmatched` for 404s). It is read
 * when express sets `req.route`, because an error passed on afterwards leaves the routers and
 * express restores `req.baseUrl` before the response is finished.
 */
function capturePattern(req: Request): () => string {
  let pattern = 'unmatched';
  let route: unknown;
  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => route,
    set(value: unknown) {
      route = value;
      const path = (value as { path?: unknown } | undefined)?.path;
      if (typeof path === 'string') pattern = `${req.baseUrl}${path}`;
    },
  });
  return () => pattern;
}
