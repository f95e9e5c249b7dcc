import pino from 'pino';
import { maskPhone, maskPhonesInText, maskSecret } from './mask';

export type Logger = pino.Logger;

/** Keys whose string value is a phone number, wherever they sit in a log object. */
const PHONE_KEYS = [
  'From',
  'To',
  'Caller',
  'Called',
  'ForwardedFrom',
  'from',
  'to',
  'caller',
  'called',
  'phone',
  'e164',
  'national',
  'fromNumber',
  'toNumber',
  'fallbackNumber',
];
/** Keys whose value is a credential. */
const SECRET_KEYS = [
  'authorization',
  'cookie',
  'token',
  'authToken',
  'apiKey',
  'password',
  'secret',
  'clientSecret',
  'refreshToken',
  'accessToken',
];
const HEADER_SECRETS = ['authorization', 'cookie', '"x-twilio-signature"'];

// Two levels (a key, or a key inside one object such as `params.From`): every log call site
// passes its phone numbers there. A third wildcard level made each request's child logger cost
// more than half of /health's throughput, so deeper objects are not logged with phone keys.
const atAnyDepth = (key: string) => [key, `*.${key}`];

/** pino redact paths: phone and secret keys at the top or one level down, plus request headers. */
export const REDACT_PATHS = [
  ...PHONE_KEYS.flatMap(atAnyDepth),
  ...SECRET_KEYS.flatMap(atAnyDepth),
  ...HEADER_SECRETS.map((h) => `req.headers.${h}`),
  'res.headers["set-cookie"]',
  'req.url',
];

const phoneKeys = new Set(PHONE_KEYS);

/** What a redacted path becomes: phones keep country and last two digits, secrets a prefix. */
export function censorLogValue(value: unknown, path: string[]): unknown {
  if (typeof value !== 'string') return value;
  const key = path[path.length - 1] ?? '';
  // A URL may carry a number in its query string, with its plus sign percent-encoded.
  if (key === 'url' && path.length === 2) return maskPhonesInText(value.replace(/%2B/gi, '+'));
  if (phoneKeys.has(key)) return maskPhone(value);
  return maskSecret(value);
}

/** The process logger: phone numbers and credentials are masked by redact paths and messages. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: undefined,
    redact: { paths: REDACT_PATHS, censor: censorLogValue },
    hooks: {
      // Free text (messages) has no keys to redact by, so phone-looking runs are masked there.
      logMethod(args, method) {
        const masked = args.map((a) => (typeof a === 'string' ? maskPhonesInText(a) : a));
        return method.apply(this, masked as Parameters<typeof method>);
      },
    },
    serializers: {
      err: (err: Error) => ({
        type: err.name,
        message: maskPhonesInText(err.message),
        stack: err.stack ? maskPhonesInText(err.stack) : undefined,
      }),
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
