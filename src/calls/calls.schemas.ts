import { z } from 'zod';
import { e164 } from '../shared/validation';

const callSid = z
  .string()
  .regex(/^CA[0-9a-fA-F]{32}$/, 'must be a Twilio CallSid (CA + 32 hex digits)');

/** NUL, and UTF-16 surrogates without their other half: text the database cannot store. */
const UNSTORABLE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Drops the characters the database cannot store, keeping the rest of the text. */
export const storableText = (v: string): string => v.replace(UNSTORABLE, '');

/** Parameters copied into indexed columns; a longer value is cut (an index row has a size limit). */
const INDEXED_PARAMS = new Set(['From', 'To']);
const INDEXED_MAX = 128;

/**
 * Webhook parameters as the database can keep them: bad characters dropped from names and
 * values (the call is kept), a repeated parameter joined with commas, From/To cut to 128
 * UTF-16 units without leaving half a surrogate pair. Runs after the signature check, which
 * needs the parameters exactly as sent.
 */
export function sanitizeWebhookParams(body: unknown): Record<string, string> {
  if (!body || typeof body !== 'object') return {};
  // fromEntries defines own properties, so a parameter named __proto__ stays a parameter.
  return Object.fromEntries(
    Object.entries(body as Record<string, unknown>).map(([key, value]) => {
      const name = storableText(key);
      const text = storableText(
        Array.isArray(value) ? value.map(String).join(',') : String(value ?? ''),
      );
      // Cutting can split a surrogate pair; the half left behind is dropped like any other.
      return [name, INDEXED_PARAMS.has(name) ? storableText(text.slice(0, INDEXED_MAX)) : text];
    }),
  );
}

/** The fields Leadline relies on in every call webhook; the rest pass through (sanitized). */
export const callWebhookSchema = z.preprocess(
  sanitizeWebhookParams,
  z
    .object({
      CallSid: callSid,
      ParentCallSid: callSid.optional(),
      AccountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be a Twilio AccountSid'),
      SequenceNumber: z
        .string()
        .regex(/^\d{1,6}$/, 'must be a whole number')
        .optional(),
      CallDuration: z
        .string()
        .regex(/^\d{1,7}$/, 'must be whole seconds')
        .optional(),
      DialCallDuration: z
        .string()
        .regex(/^\d{1,7}$/, 'must be whole seconds')
        .optional(),
      RecordingDuration: z
        .string()
        .regex(/^-?\d{1,7}$/, 'must be whole seconds')
        .optional(),
    })
    .catchall(z.string()),
);

/** The range of dates the database stores and this API accepts in a query. */
const EARLIEST_QUERY_DATE = Date.UTC(1, 0, 1) - 1;
const LATEST_QUERY_DATE = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const DATE_RANGE_MESSAGE = 'must be a date between 0001-01-01 and 9999-12-31';

/** True for a date the database can compare with (PostgreSQL refuses many JavaScript dates). */
export const isStorableDate = (d: Date): boolean => {
  const t = d.getTime();
  return Number.isFinite(t) && t > EARLIEST_QUERY_DATE && t <= LATEST_QUERY_DATE;
};

const isoDate = z
  .string()
  .refine((v) => Number.isFinite(Date.parse(v)), 'must be an ISO 8601 date')
  .transform((v) => new Date(v))
  .refine(isStorableDate, DATE_RANGE_MESSAGE);

export const listCallsQuery = z
  .object({
    campaignId: z.string().uuid('must be a campaign id').optional(),
    since: isoDate.optional(),
    until: isoDate.optional(),
    status: z
      .enum([
        'queued',
        'ringing',
        'in-progress',
        'completed',
        'busy',
        'failed',
        'no-answer',
        'canceled',
      ])
      .optional(),
    outcome: z
      .enum([
        'answered',
        'voicemail',
        'missed',
        'busy',
        'failed',
        'abandoned',
        'spam',
        'in-progress',
      ])
      .optional(),
    attribution: z.enum(['exact', 'ambiguous', 'expired', 'none']).optional(),
    /** Score filters: the label (hot, warm, cold, spam or a rule's own) and qualified. */
    label: z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,31}$/, 'must be a label such as hot')
      .optional(),
    qualified: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();

export const deadLettersQuery = z
  .object({ limit: z.coerce.number().int().min(1).max(500).default(100) })
  .strict();

export const blockSchema = z
  .object({
    /** A full E.164 number, or a prefix such as +1900 that blocks every number starting with it. */
    pattern: z
      .string()
      .regex(/^\+[1-9]\d{0,14}$/, 'must be an E.164 number or prefix such as +1900'),
    reason: z.string().max(200).optional(),
  })
  .strict();

export { e164 };
