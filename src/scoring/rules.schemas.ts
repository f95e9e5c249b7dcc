import { z } from 'zod';

/*
 * A site's scoring rules are data: this is the document GET returns and PUT takes back.
 * A condition is either a combination ({all:[…]}, {any:[…]}, {not:…}) or a test of one call fact
 * ({fact:'talkSeconds', gte:60}). Each rule gives points (a number, or a value per campaign)
 * and/or sets `qualified` or `label` outright.
 */

const label = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,31}$/, 'must be a short lower-case word such as hot, warm or cold');
const timezone = z.string().refine(isTimeZone, 'must be an IANA time zone such as America/Chicago');
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time such as 09:00');
const words = z.array(z.string().trim().min(1).max(200)).min(1).max(200);
const textTest = z
  .object({ equals: z.string().trim().min(1).max(200).optional(), in: words.optional() })
  .strict()
  .refine((v) => v.equals !== undefined || v.in !== undefined, 'needs equals or in');

/** Tests of one call fact, by fact name. */
export const factTests = {
  answered: z.object({ is: z.boolean() }).strict(),
  firstTime: z.object({ is: z.boolean() }).strict(),
  spam: z.object({ is: z.boolean() }).strict(),
  talkSeconds: z
    .object({
      gte: z.number().int().min(0).optional(),
      lte: z.number().int().min(0).optional(),
    })
    .strict()
    .refine((v) => v.gte !== undefined || v.lte !== undefined, 'needs gte or lte'),
  campaign: z.object({ in: z.array(z.string().uuid('must be a campaign id')).min(1) }).strict(),
  source: textTest,
  medium: textTest,
  keyword: textTest,
  callerState: z
    .object({ in: z.array(z.string().regex(/^[A-Za-z]{2}$/, 'must be a state code')).min(1) })
    .strict(),
  callerDistance: z
    .object({
      lat: z.number().min(-90).max(90),
      lon: z.number().min(-180).max(180),
      withinKm: z.number().positive().max(20_000),
    })
    .strict(),
  hourOfDay: z
    .object({
      timezone,
      /** From this hour (0–23) up to, not including, `to` (1–24); wraps past midnight if to ≤ from. */
      from: z.number().int().min(0).max(23),
      to: z.number().int().min(1).max(24),
    })
    .strict(),
  businessHours: z
    .object({
      timezone,
      /** Days open, 0 = Sunday … 6 = Saturday. */
      days: z.array(z.number().int().min(0).max(6)).min(1).max(7).default([1, 2, 3, 4, 5]),
      open: hhmm,
      close: hhmm,
    })
    .strict(),
  disposition: z.object({ in: words }).strict(),
  attribution: z
    .object({ in: z.array(z.enum(['exact', 'ambiguous', 'expired', 'none'])).min(1) })
    .strict(),
  /**
   * Key terms spoken on the call: any of these words or phrases, matched case-insensitively on
   * whole words, in the caller's (inbound), the agent's (outbound) or either track's utterances.
   */
  transcript: z
    .object({
      contains: z
        .array(
          z
            .string()
            .trim()
            .min(1)
            .max(100)
            .refine((v) => /[\p{L}\p{N}]/u.test(v), 'must contain a letter or digit'),
        )
        .min(1)
        .max(100),
      track: z.enum(['inbound', 'outbound', 'both']).default('both'),
    })
    .strict(),
} as const;

export type FactName = keyof typeof factTests;
export const factNames = Object.keys(factTests) as FactName[];
export type FactTest = {
  [F in FactName]: { fact: F } & z.infer<(typeof factTests)[F]>;
}[FactName];
export type Condition = FactTest | { all: Condition[] } | { any: Condition[] } | { not: Condition };

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Conditions are checked by hand around zod so an error names the place and the problem the way
 * a marketer reads it: `rules[2].when.all[0]: unknown fact "talkSecs"`.
 */
export const conditionSchema: z.ZodType<Condition, z.ZodTypeDef, unknown> = z.lazy(() =>
  z.unknown().transform((value, ctx): Condition => {
    if (!isRecord(value)) {
      ctx.addIssue({ code: 'custom', message: 'must be a condition object' });
      return z.NEVER;
    }
    const combinators = ['all', 'any', 'not'].filter((k) => k in value);
    if (combinators.length > 0 || !('fact' in value)) {
      const schema =
        'all' in value
          ? z.object({ all: z.array(conditionSchema).min(1).max(50) }).strict()
          : 'any' in value
            ? z.object({ any: z.array(conditionSchema).min(1).max(50) }).strict()
            : 'not' in value
              ? z.object({ not: conditionSchema }).strict()
              : undefined;
      if (!schema) {
        ctx.addIssue({ code: 'custom', message: 'needs fact, all, any or not' });
        return z.NEVER;
      }
      return forward(schema.safeParse(value), ctx) as Condition;
    }
    const { fact, ...test } = value;
    if (typeof fact !== 'string' || !(fact in factTests)) {
      ctx.addIssue({ code: 'custom', message: `unknown fact ${JSON.stringify(fact)}` });
      return z.NEVER;
    }
    const parsed = forward(factTests[fact as FactName].safeParse(test), ctx);
    return parsed === z.NEVER ? z.NEVER : ({ fact, ...(parsed as object) } as Condition);
  }),
);

type Parsed = { success: true; data: unknown } | { success: false; error: z.ZodError };
function forward(result: Parsed, ctx: z.RefinementCtx): unknown {
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  }
  return z.NEVER;
}

/** Points: a number, or a value per campaign (with one for every other campaign). */
const points = z.union([
  z.number().int().min(-100).max(100),
  z
    .object({
      perCampaign: z.record(
        z.string().uuid('must be a campaign id'),
        z.number().int().min(-100).max(100),
      ),
      otherwise: z.number().int().min(-100).max(100).default(0),
    })
    .strict(),
]);
export type Points = z.infer<typeof points>;

export const ruleSchema = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be a short id such as long-call (a-z, 0-9, -, _)'),
    name: z.string().trim().min(1).max(120),
    when: conditionSchema,
    points: points.optional(),
    set: z
      .object({ qualified: z.boolean().optional(), label: label.optional() })
      .strict()
      .optional(),
  })
  .strict()
  .refine((r) => r.points !== undefined || r.set?.qualified !== undefined || r.set?.label, {
    message: 'gives no points and sets nothing',
  });
export type Rule = z.infer<typeof ruleSchema>;

export const thresholdsSchema = z
  .object({
    /** At least this score is labelled hot, at least `warm` warm, else cold. */
    hot: z.number().int().min(0).max(100).default(70),
    warm: z.number().int().min(0).max(100).default(40),
    /** At least this score is qualified. */
    qualified: z.number().int().min(0).max(100).default(50),
  })
  .strict()
  .refine((t) => t.warm <= t.hot, { message: 'warm must not be above hot' });
export type Thresholds = z.infer<typeof thresholdsSchema>;

/** The document PUT takes: what GET gave, with read-only fields (version, siteId…) ignored. */
export const ruleSetInput = z
  .object({
    rules: z.array(ruleSchema).max(200),
    thresholds: thresholdsSchema.default({}),
  })
  .superRefine((doc, ctx) => {
    const seen = new Set<string>();
    doc.rules.forEach((rule, i) => {
      if (seen.has(rule.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i, 'id'],
          message: `duplicate rule id "${rule.id}"`,
        });
      }
      seen.add(rule.id);
    });
  });
export type RuleSet = z.infer<typeof ruleSetInput>;

/** `rules.2.when.all.0` → `rules[2].when.all[0]`. */
export function formatPath(path: (string | number)[]): string {
  return path.reduce<string>(
    (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p),
    '',
  );
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
