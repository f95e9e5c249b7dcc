import { AsyncLocalStorage } from 'node:async_hooks';
import { Connection } from 'jsforce';
import type { Config } from '../shared/config';
import type { MetadataRecord } from './metadata';
import { METADATA_API_VERSION } from './metadata';

/*
 * The only module that imports jsforce (npm run lint:deps enforces it). What it relies on, read in
 * jsforce 3.10.16's lib/:
 * - connection.js: `new Connection({ oauth2: { loginUrl, clientId, clientSecret }, instanceUrl,
 *   accessToken, refreshToken })` installs a SessionRefreshDelegate (oauthRefreshFn) when a
 *   client id is given; a custom `refreshFn(conn, callback)` replaces it. `request(req, options)`
 *   prefixes relative URLs with `/services/data/vXX.X`; `create(type, array)` is a
 *   `POST /composite/sobjects {allOrNone, records:[{attributes:{type}, …}]}` and `update` a
 *   `PATCH` of the same with `id` per record (_createMany/_updateMany, API ≥ 42); `search(sosl)` is
 *   `GET /search?q=`; `describe(type)` is `GET /sobjects/{type}/describe`.
 * - http-api.js: a 401 (unless its body names a non-session cause) calls the refresh delegate,
 *   then sends the request again with the same URL (an instance URL changed by the refresh is not
 *   applied to it). A second 401 would refresh again, so refreshFn below refuses a second refresh
 *   within one call (tracked with AsyncLocalStorage): a token refused right after a refresh
 *   fails the call instead of refreshing forever.
 *   Error bodies `[{message, errorCode, fields}]` become HttpApiError (name = errorCode).
 * - request.js: GET/PUT/DELETE are retried on 420/429/5xx and socket errors (5 tries, 0.5 s
 *   doubling ≈ 15 s) unless `options.retry.maxRetries` says otherwise; `options.timeout` aborts
 *   and rejects with "Request Timeout". Every REST call here passes both, so retries happen in
 *   Leadline's sync (with its backoff and state), not hidden inside one call.
 * - oauth2.js: refreshToken() POSTs grant_type=refresh_token, refresh_token, client_id,
 *   client_secret form-encoded to `${loginUrl}/services/oauth2/token`.
 * - api/metadata.js + soap.js: metadata.upsert/read send SOAP upsertMetadata/readMetadata to
 *   `${instanceUrl}/services/Soap/m/${version}` with the session id in SessionHeader; a 500 whose
 *   faultcode is INVALID_SESSION_ID triggers the same refresh.
 */

/** A record Salesforce returns: its fields and `attributes.type`. */
export interface SfRecord {
  Id: string;
  attributes?: { type: string; url?: string };
  [field: string]: unknown;
}
export interface SfError {
  statusCode: string;
  message: string;
  fields?: string[];
}
/** One record's outcome in a composite sObject collections request. */
export interface SaveResult {
  id: string | null;
  success: boolean;
  errors: SfError[];
}
export interface DescribeResult {
  name: string;
  fields: { name: string; type: string }[];
  recordTypeInfos: { name: string; developerName: string; recordTypeId: string; active: boolean }[];
}
export interface UpsertResult {
  fullName: string;
  created: boolean;
  success: boolean;
  errors?: { message: string; statusCode: string } | { message: string; statusCode: string }[];
}

/** What the rest of Leadline may ask of Salesforce. */
export interface SalesforceApi {
  query<T extends SfRecord = SfRecord>(soql: string): Promise<T[]>;
  search(sosl: string): Promise<SfRecord[]>;
  /** Creates up to 200 records in one request; allOrNone=false, so each has its own result. */
  createMany(type: string, records: Record<string, unknown>[]): Promise<SaveResult[]>;
  /** Updates up to 200 records (each with `Id`) in one request; allOrNone=false. */
  updateMany(type: string, records: Record<string, unknown>[]): Promise<SaveResult[]>;
  describe(type: string): Promise<DescribeResult>;
  metadataRead(type: string, fullNames: string[]): Promise<MetadataRecord[]>;
  metadataUpsert(type: string, records: MetadataRecord[]): Promise<UpsertResult[]>;
}

/** A Salesforce call that failed; `outcomeUnknown` when the request may have been applied. */
export class SalesforceError extends Error {
  constructor(
    readonly errorCode: string,
    message: string,
    readonly outcomeUnknown = false,
  ) {
    super(message);
    this.name = 'SalesforceError';
  }
}

/** The connection settings in config, or null when Salesforce is not configured. */
export interface SalesforceSettings {
  instanceUrl?: string;
  accessToken?: string;
  loginUrl?: string;
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  apiVersion: string;
  /** Milliseconds one request may take before it is abandoned (outcome unknown for writes). */
  timeoutMs: number;
}

/** Per call: whether its session was refreshed already (jsforce would refresh on every 401). */
const callScope = new AsyncLocalStorage<{ refreshed: boolean }>();

export const MAX_COLLECTION = 200;

/** Settings from config: an access token, or a refresh token with a connected app; else null. */
export function salesforceSettings(config: Config): SalesforceSettings | null {
  const base = {
    apiVersion: config.SF_API_VERSION ?? METADATA_API_VERSION,
    timeoutMs: config.SF_REQUEST_TIMEOUT_MS ?? 30_000,
  };
  const refresh =
    config.SF_LOGIN_URL && config.SF_CLIENT_ID && config.SF_REFRESH_TOKEN
      ? {
          loginUrl: config.SF_LOGIN_URL,
          clientId: config.SF_CLIENT_ID,
          clientSecret: config.SF_CLIENT_SECRET,
          refreshToken: config.SF_REFRESH_TOKEN,
        }
      : null;
  const direct =
    config.SF_INSTANCE_URL && config.SF_ACCESS_TOKEN
      ? { instanceUrl: config.SF_INSTANCE_URL, accessToken: config.SF_ACCESS_TOKEN }
      : null;
  if (!refresh && !direct) return null;
  return { ...base, ...direct, ...refresh };
}

/** A SalesforceApi over jsforce's Connection. */
export function createSalesforceClient(settings: SalesforceSettings): SalesforceApi {
  const conn = new Connection({
    version: settings.apiVersion,
    ...(settings.instanceUrl ? { instanceUrl: settings.instanceUrl } : {}),
    ...(settings.accessToken ? { accessToken: settings.accessToken } : {}),
    ...(settings.clientId
      ? {
          oauth2: {
            loginUrl: settings.loginUrl,
            clientId: settings.clientId,
            clientSecret: settings.clientSecret,
          },
          refreshToken: settings.refreshToken,
          refreshFn: ((c: Connection, callback: RefreshCallback) =>
            void refreshOnce(c, callback)) as unknown as ConnectionRefreshFn,
        }
      : {}),
  });

  async function refreshOnce(c: Connection, callback: RefreshCallback) {
    const scope = callScope.getStore();
    if (scope?.refreshed) {
      callback(new SalesforceError('INVALID_SESSION_ID', 'session refused right after a refresh'));
      return;
    }
    if (scope) scope.refreshed = true;
    try {
      const res = await establish(c);
      callback(undefined, res.access_token);
    } catch (err) {
      callback(err instanceof Error ? err : new Error(String(err)));
    }
  }

  async function establish(c: Connection) {
    const res = (await c.oauth2.refreshToken(settings.refreshToken ?? '')) as {
      access_token: string;
      instance_url: string;
    };
    c.accessToken = res.access_token;
    c.instanceUrl = res.instance_url;
    return res;
  }

  /** With only a refresh token there is no instance URL yet: refresh before the first call. */
  let ready: Promise<unknown> | null = settings.accessToken ? Promise.resolve() : null;
  const ensureSession = () => {
    ready ??= establish(conn).catch((err: unknown) => {
      ready = null;
      throw toSalesforceError(err, false);
    });
    return ready;
  };

  const opts = { timeout: settings.timeoutMs, retry: { maxRetries: 0 } };

  async function call<T>(req: string | RestRequest, write: boolean): Promise<T> {
    await ensureSession();
    try {
      return (await callScope.run({ refreshed: false }, () =>
        conn.request(req, opts as object),
      )) as T;
    } catch (err) {
      throw toSalesforceError(err, write);
    }
  }

  async function withTimeout<T>(run: () => Promise<T>, write: boolean): Promise<T> {
    const p = () => callScope.run({ refreshed: false }, run);
    await ensureSession();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('Request Timeout')), settings.timeoutMs);
    });
    try {
      return await Promise.race([p(), timeout]);
    } catch (err) {
      throw toSalesforceError(err, write);
    } finally {
      clearTimeout(timer);
    }
  }

  const collection = (
    method: 'POST' | 'PATCH',
    type: string,
    records: Record<string, unknown>[],
  ) => {
    if (records.length === 0) return Promise.resolve([]);
    if (records.length > MAX_COLLECTION) {
      throw new SalesforceError('LIMIT', `at most ${MAX_COLLECTION} records a request`);
    }
    // The body jsforce's _createMany/_updateMany send; called through request() for the options.
    const body = {
      allOrNone: false,
      records: records.map(({ Id, ...rec }) => ({
        attributes: { type },
        ...(method === 'PATCH' ? { id: Id } : {}),
        ...rec,
      })),
    };
    return call<SaveResult[]>(
      {
        method,
        url: '/composite/sobjects',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      },
      true,
    );
  };

  return {
    async query<T extends SfRecord>(soql: string): Promise<T[]> {
      const res = await call<{ records: T[] }>(`/query?q=${encodeURIComponent(soql)}`, false);
      return res.records;
    },
    async search(sosl: string) {
      const res = await call<{ searchRecords: SfRecord[] }>(
        `/search?q=${encodeURIComponent(sosl)}`,
        false,
      );
      return res.searchRecords;
    },
    createMany: (type, records) => collection('POST', type, records),
    updateMany: (type, records) => collection('PATCH', type, records),
    describe: (type) => call<DescribeResult>(`/sobjects/${type}/describe`, false),
    async metadataRead(type, fullNames) {
      const res = await withTimeout(
        () => conn.metadata.read(type as MetadataTypeName, fullNames),
        false,
      );
      // jsforce returns records without a fullName for components that do not exist.
      return (res as unknown as MetadataRecord[]).filter(
        (r) => r && typeof r.fullName === 'string',
      );
    },
    async metadataUpsert(type, records) {
      const res = await withTimeout(
        () =>
          conn.metadata.upsert(
            type as MetadataTypeName,
            records as unknown as Parameters<typeof conn.metadata.upsert>[1],
          ),
        true,
      );
      return res as unknown as UpsertResult[];
    },
  };
}

type ConnectionRefreshFn = NonNullable<ConstructorParameters<typeof Connection>[0]>['refreshFn'];
type MetadataTypeName = Parameters<Connection['metadata']['read']>[0];
type RefreshCallback = (err?: Error | null, accessToken?: string, res?: never) => void;
interface RestRequest {
  method: 'GET' | 'POST' | 'PATCH';
  url: string;
  body?: string;
  headers?: Record<string, string>;
}

function toSalesforceError(err: unknown, write: boolean): SalesforceError {
  if (err instanceof SalesforceError) return err;
  const e = err as { errorCode?: unknown; name?: unknown; message?: unknown; code?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (/Request Timeout|aborted|ETIMEDOUT|ECONNRESET|socket hang up/i.test(message)) {
    // The request may have reached Salesforce: a write's outcome is unknown.
    return new SalesforceError('TIMEOUT', message, write);
  }
  if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) {
    return new SalesforceError(e.code, message, write && e.code !== 'ECONNREFUSED');
  }
  const code =
    typeof e.errorCode === 'string' ? e.errorCode : typeof e.name === 'string' ? e.name : 'UNKNOWN';
  return new SalesforceError(code, message);
}
