import { z } from 'zod';
import { e164 } from '../shared/validation';

const callSid = z
  .string()
  .regex(/^CA[0-9a-fA-F]{32}$/, 'must be a Twilio CallSid (CA + 32 hex digits)');

/** The fields Leadline relies on in every call webhook; the rest pass through as sent. */
export const callWebhookSchema = z
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
  .passthrough();

const isoDate = z
  .string()
  .refine((v) => Number.isFinite(Date.parse(v)), 'must be an ISO 8601 date')
  .transform((v) => new Date(v));

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
