import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { AppError } from './errors';

/**
 * The request body of the two machine-facing hot paths (the DNI session call, Twilio's webhooks):
 * small, UTF-8, never compressed. Read as one buffer and parsed once, with the same answers as
 * express's body parsers for what they refuse (malformed → 400, too large → 413, a charset or
 * content encoding other than UTF-8/identity → 415), at a fraction of their per-request cost:
 * body-parser's content-type negotiation, charset decoding, stream wrappers and listeners were
 * about a tenth of a DNI renewal's CPU in the profile. A request of another type is left unread
 * (`req.body` stays undefined), as the express parsers leave it; everything else uses those.
 */
export function smallBody(opts: {
  /** Media types this route parses (lower case, without parameters). */
  types: readonly string[];
  /** Largest body accepted, in bytes. */
  limit: number;
  /** From the body's text to `req.body`; an AppError is answered as it is, any other throw 400. */
  parse: (text: string) => unknown;
  /** Error code and message for a body `parse` refuses. */
  malformed: { code: string; message: string };
}): RequestHandler {
  const types = new Set(opts.types);
  return function readSmallBody(req, _res, next) {
    const type = req.headers['content-type'];
    if (!type || !hasBody(req)) {
      next();
      return;
    }
    const semi = type.indexOf(';');
    if (!types.has((semi < 0 ? type : type.slice(0, semi)).trim().toLowerCase())) {
      next();
      return;
    }
    const refused = refusalOf(req, semi < 0 ? '' : type.slice(semi + 1), opts.limit);
    if (refused) {
      req.resume(); // let the body drain, so the connection stays usable
      next(refused);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    // The listeners stay on the request (they ignore anything after `done`): removing four
    // listeners cost more than the request lives on.
    const finish = (err?: AppError) => {
      if (done) return;
      done = true;
      if (err) {
        req.resume();
        next(err);
        return;
      }
      const text =
        chunks.length === 1
          ? (chunks[0] as Buffer).toString('utf8')
          : Buffer.concat(chunks, size).toString('utf8');
      try {
        req.body = opts.parse(text);
      } catch (err) {
        next(
          err instanceof AppError
            ? err
            : new AppError(400, opts.malformed.code, opts.malformed.message),
        );
        return;
      }
      next();
    };
    const onData = (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > opts.limit) finish(tooLarge());
      else chunks.push(chunk);
    };
    const onEnd = () => finish();
    const onError = () => finish(new AppError(400, 'request_aborted', 'request was aborted'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onError);
  };
}

/** Whether the request says it has a body (a length above zero, or chunked). */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

const tooLarge = () => new AppError(413, 'body_too_large', 'request body is too large');

/** What makes the body unreadable before a byte of it is read, if anything. */
function refusalOf(req: IncomingMessage, params: string, limit: number): AppError | undefined {
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    return new AppError(415, 'unsupported_encoding', `unsupported content encoding "${encoding}"`);
  }
  const charset = /(?:^|;)\s*charset\s*=\s*"?([^";\s]+)/i.exec(params)?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    return new AppError(415, 'unsupported_encoding', `unsupported charset "${charset}"`);
  }
  const length = Number(req.headers['content-length']);
  if (Number.isFinite(length) && length > limit) return tooLarge();
  return undefined;
}

/** JSON bodies, answered as express.json answers a malformed one. */
export const MALFORMED_JSON = { code: 'malformed_json', message: 'request body is not valid JSON' };

/**
 * A form-encoded body (what Twilio posts) as an object: a repeated name becomes an array, as
 * express.urlencoded gives it; more than `parameterLimit` parameters is a 413. The object has no
 * prototype, so a parameter named like one of Object's own (`__proto__`, `constructor`) is just
 * a parameter.
 */
export function formParser(parameterLimit: number) {
  return function parseForm(text: string): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = Object.create(null) as Record<
      string,
      string | string[]
    >;
    let count = 0;
    for (const [name, value] of new URLSearchParams(text)) {
      if (++count > parameterLimit) {
        throw new AppError(413, 'too_many_parameters', `more than ${parameterLimit} parameters`);
      }
      const had = out[name];
      out[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
    }
    return out;
  };
}

/** Form bodies that cannot be decoded (URLSearchParams decodes leniently, so rarely). */
export const MALFORMED_FORM = {
  code: 'malformed_form',
  message: 'request body is not a valid form',
};

/** A form-encoded body (Twilio's webhooks) read by smallBody and parsed by formParser. */
export const formBody = (opts: { limit: number; parameterLimit: number }) =>
  smallBody({
    types: ['application/x-www-form-urlencoded'],
    limit: opts.limit,
    parse: formParser(opts.parameterLimit),
    malformed: MALFORMED_FORM,
  });
