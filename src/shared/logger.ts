import pino from 'pino';
import { maskForLog, maskPhonesInText } from './mask';

export type Logger = pino.Logger;

/** The process logger: every object passes through maskForLog, so no caller number or key leaks. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: undefined,
    formatters: {
      log: (obj) => maskForLog(obj) as Record<string, unknown>,
    },
    hooks: {
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
  });
}
