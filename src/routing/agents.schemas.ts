import { z } from 'zod';
import { e164 } from '../shared/validation';

const HHMM = /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/;
const time = z.string().regex(HHMM, 'must be a time "HH:MM" (00:00–24:00)');
const range = z
  .tuple([time, time])
  .refine(([start, end]) => start < end, 'must be [start, end) with start before end');

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** Weekday (0 = Sunday … 6, or sun … sat) → [start, end) "HH:MM" ranges in the agent's time zone. */
export const hoursSchema = z
  .record(z.string(), z.array(range).max(12))
  .superRefine((hours, ctx) => {
    for (const day of Object.keys(hours)) {
      if (dayIndex(day) === undefined) {
        ctx.addIssue({ code: 'custom', path: [day], message: 'must be a weekday 0-6 or sun-sat' });
      }
    }
  })
  .transform((hours) => {
    const out: Record<string, [string, string][]> = {};
    for (const [day, ranges] of Object.entries(hours)) out[String(dayIndex(day))] = ranges;
    return out;
  });

function dayIndex(day: string): number | undefined {
  const d = day.trim().toLowerCase();
  if (/^[0-6]$/.test(d)) return Number(d);
  const i = DAY_NAMES.findIndex((n) => d.startsWith(n));
  return i >= 0 ? i : undefined;
}

/** True when the runtime knows the IANA zone (Intl throws a RangeError otherwise). */
function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return /\//.test(tz) || tz === 'UTC';
  } catch {
    return false;
  }
}

export const timezone = z
  .string()
  .trim()
  .refine(isTimeZone, 'must be an IANA time zone such as America/Chicago');

const fields = {
  name: z.string().trim().min(1, 'is required').max(200),
  phone: e164,
  zip: z
    .string()
    .trim()
    .regex(/^\d{5}$/, 'must be a 5-digit US ZIP code'),
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
  timezone,
  hours: hoursSchema.nullable(),
  skills: z.array(z.string().trim().min(1).max(100)).max(50),
  campaignIds: z.array(z.string().uuid('must be campaign ids')).max(500),
  active: z.boolean(),
};

const latLonTogether = (v: { lat?: number; lon?: number }, ctx: z.RefinementCtx) => {
  if ((v.lat === undefined) !== (v.lon === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: [v.lat === undefined ? 'lat' : 'lon'],
      message: 'lat and lon go together',
    });
  }
};

export const createAgentSchema = z
  .object({
    name: fields.name,
    phone: fields.phone,
    zip: fields.zip.optional(),
    lat: fields.lat.optional(),
    lon: fields.lon.optional(),
    timezone: fields.timezone,
    hours: fields.hours.optional(),
    skills: fields.skills.optional(),
    campaignIds: fields.campaignIds.optional(),
    active: fields.active.default(true),
  })
  .strict()
  .superRefine((v, ctx) => {
    latLonTogether(v, ctx);
    if (v.zip === undefined && v.lat === undefined && v.lon === undefined) {
      ctx.addIssue({ code: 'custom', path: ['zip'], message: 'zip or lat+lon is required' });
    }
  });

export const updateAgentSchema = z
  .object({
    name: fields.name.optional(),
    phone: fields.phone.optional(),
    zip: fields.zip.nullable().optional(),
    lat: fields.lat.optional(),
    lon: fields.lon.optional(),
    timezone: fields.timezone.optional(),
    hours: fields.hours.optional(),
    skills: fields.skills.nullable().optional(),
    campaignIds: fields.campaignIds.nullable().optional(),
    active: fields.active.optional(),
  })
  .strict()
  .superRefine(latLonTogether);

export type CreateAgentInput = z.infer<typeof createAgentSchema>;
export type UpdateAgentInput = z.infer<typeof updateAgentSchema>;

/** What a console may say about itself. */
export const presenceStatus = z.enum(['available', 'away']);
export type PresenceStatus = z.infer<typeof presenceStatus>;
