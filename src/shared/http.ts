import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import { AppError, NotFoundError, RateLimitedError } from './errors';
import type { Logger } from './logger';

const SANE_REQUEST_ID = /^[\w.-]{1,64}$/;
/**
 * Machine-facing hot paths: the swap script and its session call (one request per page view), and
 * Twilio's webhooks (several per call, each stored with all its parameters in call_events, which
 * is their record). Their successes log at debug, not info; failures are logged by errorHandler.
 */
const QUIET_PATHS = new Set(['/dni.js', '/dni/v1/sessions']);
const QUIET_PREFIX = '/twilio/';
/** A request URL without its query string. */
const pathOf = (url: string | undefined) => (url ?? '').split('?')[0] ?? '';
const isQuietPath = (path: string) => QUIET_PATHS.has(path) || path.startsWith(QUIET_PREFIX);

/** The request's id: X-Request-Id when sane, else a random UUID; echoed in X-Request-Id. */
function requestIdOf(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id =
    typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

/**
 * Gives each request an id (kept from X-Request-Id when sane, else a random UUID), echoes it in
 * X-Request-Id, and a child logger `req.log` bound to it; logs each response once it is sent.
 *
 * /health, and below debug the quiet paths, have no request line at all, so pino-http does not
 * follow them: its two child loggers per request were the largest per-request cost of those
 * endpoints. Their `req.log` is made only when something (an error) is logged.
 */
export function requestContext(logger: Logger): RequestHandler {
  // Load balancers poll /health every few seconds: logging it would drown everything else.
  const unlogged = (url: string | undefined) => {
    const path = pathOf(url);
    return path === '/health' || (!logger.isLevelEnabled('debug') && isQuietPath(path));
  };
  const followed = pinoHttp({
    logger,
    quietReqLogger: true,
    customAttributeKeys: { reqId: 'reqId' },
    // A request line carries what an operator reads (method, path, status, time), not every
    // header: serialising and redacting whole header sets was the largest per-request cost of
    // the public endpoints. The URL is still masked (redact path req.url in logger.ts).
    wrapSerializers: false,
    serializers: {
      req: function requestLine(req: IncomingMessage) {
        return { method: req.method, url: req.url };
      },
      res: function responseLine(res: ServerResponse) {
        return { statusCode: res.statusCode };
      },
    },
    genReqId: requestIdOf,
    customLogLevel: function levelOf(req, res, err) {
      if (err || res.statusCode >= 500) return 'error';
      if (res.statusCode >= 400) return 'warn';
      return isQuietPath(pathOf(req.url)) ? 'debug' : 'info';
    },
  }) as unknown as RequestHandler;

  return function requestLog(req, res, next) {
    if (!unlogged(req.url)) {
      followed(req, res, next);
      return;
    }
    const id = requestIdOf(req, res);
    req.id = id;
    let log: Logger | undefined;
    Object.defineProperty(req, 'log', {
      configurable: true,
      enumerable: true,
      get: () => (log ??= logger.child({ reqId: id })),
      set: (value: Logger) => {
        log = value;
      },
    });
    next();
  };
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new NotFoundError(`route ${req.method} ${req.path}`, 'route_not_found'));
};

interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
  message?: string;
}

/** body-parser and friends throw errors with a 4xx status and a type; name what was wrong. */
function clientErrorOf(err: unknown): AppError | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as HttpishError;
  const status = e.status ?? e.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  switch (e.type) {
    case 'entity.parse.failed':
      return new AppError(400, 'malformed_json', 'request body is not valid JSON');
    case 'entity.too.large':
      return new AppError(413, 'body_too_large', 'request body is too large');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError(415, 'unsupported_encoding', e.message ?? 'unsupported encoding');
    case 'request.aborted':
      return new AppError(400, 'request_aborted', 'request was aborted');
    default:
      return new AppError(status, 'bad_request', e.expose && e.message ? e.message : 'bad request');
  }
}

/** The one place errors become responses: AppErrors as they are, anything else a bare 500. */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const appError = err instanceof AppError ? err : clientErrorOf(err);
  if (res.headersSent) {
    req.log?.error({ err }, 'error after response started');
    return;
  }
  if (appError) {
    if (appError instanceof RateLimitedError) {
      res.setHeader('Retry-After', String(appError.retryAfterSeconds));
    }
    if (appError.status >= 500) req.log?.error({ err }, appError.message);
    else req.log?.info({ code: appError.code, status: appError.status }, 'request rejected');
    const body: { error: { code: string; message: string; details?: unknown } } = {
      error: { code: appError.code, message: appError.message },
    };
    if (appError.details !== undefined) body.error.details = appError.details;
    res.status(appError.status).json(body);
    return;
  }
  req.log?.error({ err }, 'unhandled error');
  res.status(500).json({ error: { code: 'internal_error', message: 'internal server error' } });
};
