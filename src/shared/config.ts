import dotenv from 'dotenv';
import { z } from 'zod';

/** PostgreSQL connections per node unless DATABASE_POOL_SIZE says otherwise (see below). */
export const DEFAULT_POOL_SIZE = 4;

const emptyToUndefined = (v: unknown) => (v === '' ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
const optionalUrl = z.preprocess(emptyToUndefined, z.string().url().optional());
const int = (fallback: number, min = 0) =>
  z.preprocess(emptyToUndefined, z.coerce.number().int().min(min).default(fallback));

/** Every environment variable Leadline reads, with its default; see .env.example. */
const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: int(3000),
  HOST: z.preprocess(emptyToUndefined, z.string().default('0.0.0.0')),
  DATABASE_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
      .optional(),
  ),
  /**
   * PostgreSQL connections per node. Few is faster: once every connection is busy, further
   * queries are pipelined on them (sent without waiting for the previous answer), so the
   * database wakes once for several; measured on 2 cores, 4 answered the voice webhook ~30 %
   * faster than 10. A transaction holds one while it runs; pg-boss has a pool of its own.
   */
  DATABASE_POOL_SIZE: int(DEFAULT_POOL_SIZE, 1),
  DATA_DIR: z.preprocess(emptyToUndefined, z.string().default('./data')),
  /**
   * The local webhook journal (webhooks acknowledged while the database was down or slow).
   * Default DATA_DIR/journal; under NODE_ENV=test, a temporary directory per context.
   */
  WEBHOOK_JOURNAL_DIR: optionalString,
  PUBLIC_BASE_URL: optionalUrl,
  TRUST_PROXY: z.preprocess(emptyToUndefined, z.string().default('loopback')),
  LOG_LEVEL: z.preprocess(
    emptyToUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
  LEADLINE_ADMIN_KEY: z.preprocess(
    emptyToUndefined,
    z.string().min(16, 'must be at least 16 characters').optional(),
  ),
  TWILIO_ACCOUNT_SID: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^AC[0-9a-fA-F]{32}$/, 'must be AC followed by 32 hex digits')
      .optional(),
  ),
  TWILIO_AUTH_TOKEN: optionalString,
  TWILIO_API_BASE_URL: optionalUrl,
  SF_INSTANCE_URL: optionalUrl,
  SF_ACCESS_TOKEN: optionalString,
  SF_LOGIN_URL: optionalUrl,
  SF_CLIENT_ID: optionalString,
  SF_CLIENT_SECRET: optionalString,
  SF_REFRESH_TOKEN: optionalString,
  /** Salesforce REST/Metadata API version (e.g. 60.0). */
  SF_API_VERSION: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^\d+\.0$/, 'must look like 60.0')
      .optional(),
  ),
  /** Milliseconds one Salesforce request may take before it is abandoned and retried later. */
  SF_REQUEST_TIMEOUT_MS: int(30000, 100),
  /** Milliseconds scored calls are collected before one Salesforce sync batch is sent. */
  SF_SYNC_WINDOW_MS: int(5000, 0),
  /** Jobs a node takes per fetch of each queue (scoring, Salesforce, retention). */
  JOB_BATCH_SIZE: int(20, 1),
  /** Seconds a queue worker waits between fetches when its queue was empty (pg-boss: ≥ 0.5). */
  JOB_POLL_SECONDS: z.preprocess(emptyToUndefined, z.coerce.number().min(0.5).max(60).default(0.5)),
  /** Milliseconds between read-backs of converted Leads and Opportunities (0: never). */
  SF_READBACK_INTERVAL_MS: int(3_600_000, 0),
  NUMBER_QUARANTINE_DAYS: int(60),
  DNI_RATE_LIMIT_PER_MINUTE: int(120, 1),
  ATTRIBUTION_GRACE_SECONDS: int(900),
  REPEAT_CALLER_WINDOW_DAYS: int(30, 1),
  CALLER_RETENTION_DAYS: int(730, 1),
  /** Days a visitor session keeps its visitor id, user agent, referrer and click ids. */
  SESSION_RETENTION_DAYS: int(90, 1),
  /** Days a call's recording link (and Twilio's recording id) is kept. */
  RECORDING_RETENTION_DAYS: int(365, 1),
  /** Days transcripts are kept (for the features that store them). */
  TRANSCRIPT_RETENTION_DAYS: int(365, 1),
  /** Secret mixed into the erasure audit log's fingerprint of a number; unset: salt only. */
  PRIVACY_HASH_SECRET: optionalString,
  /** When set, GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`. */
  METRICS_TOKEN: optionalString,
  VOICE_DEADLINE_MS: int(2000, 100),
  /** An official GeoIP2/GeoLite2-City MMDB; unset: the GeoLite2 files shipped in an npm package. */
  GEOIP_DB_PATH: optionalString,
  /** An agent whose console has not been heard from for this long is not available. */
  AGENT_HEARTBEAT_TIMEOUT_SECONDS: int(60, 5),
  /** The labels an agent may disposition a call with, comma-separated (matched without case). */
  DISPOSITION_LABELS: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .default('appointment booked,qualified lead,existing customer,not a lead,spam')
      .transform((v) =>
        v
          .split(',')
          .map((l) => l.trim())
          .filter((l) => l.length > 0),
      )
      .refine((labels) => labels.length > 0, 'must list at least one label'),
  ),
  /** Minutes within which a missed call should be called back; later counts as overdue. */
  FOLLOW_UP_TARGET_MINUTES: int(5, 1),
});

export type Env = z.infer<typeof envSchema>;

/** Demo mode's fictional Twilio account: only the in-process stand-in and simulator use it. */
export const DEMO_TWILIO_ACCOUNT_SID = `AC${'de'.repeat(16)}`;
export const DEMO_TWILIO_AUTH_TOKEN = 'demo-auth-token-not-a-secret';

export interface Config extends Env {
  /** The URL Twilio calls; webhook signatures are checked against it. */
  publicBaseUrl: string;
  database: 'embedded' | 'postgres';
  /** True when no Twilio credentials are set: fictional numbers and the carrier simulator. */
  demoMode: boolean;
  /** The token webhook signatures are checked with (the demo token in demo mode). */
  twilioAuthToken: string;
}

export class ConfigError extends Error {}

export interface LoadConfigOptions {
  /** A .env file to read into `env`; by default `./.env`, read only into `process.env`. */
  dotenvPath?: string;
}

let processEnvLoaded = false;

/**
 * Fills `env` from a .env file (see .env.example) without overriding variables already set.
 * `process.env` is filled once per process; tests (NODE_ENV=test or under jest) never read one.
 */
function loadDotenv(env: NodeJS.ProcessEnv, dotenvPath: string | undefined): void {
  if (env.NODE_ENV === 'test' || env.JEST_WORKER_ID !== undefined) return;
  if (env === process.env) {
    if (processEnvLoaded) return;
    processEnvLoaded = true;
  } else if (dotenvPath === undefined) {
    return;
  }
  // A missing file is fine: every variable has a default.
  dotenv.config({ path: dotenvPath ?? '.env', processEnv: env, override: false, quiet: true });
}

/** Reads and validates the environment once; throws ConfigError naming each bad variable. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  opts: LoadConfigOptions = {},
): Config {
  loadDotenv(env, opts.dotenvPath);
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  if (Boolean(e.TWILIO_ACCOUNT_SID) !== Boolean(e.TWILIO_AUTH_TOKEN)) {
    throw new ConfigError(
      'invalid configuration:\n  TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be set together',
    );
  }
  return {
    ...e,
    publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    database: e.DATABASE_URL ? 'postgres' : 'embedded',
    demoMode: !e.TWILIO_ACCOUNT_SID,
    twilioAuthToken: e.TWILIO_AUTH_TOKEN ?? DEMO_TWILIO_AUTH_TOKEN,
  };
}
