import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { z, type ZodTypeAny } from 'zod';
import { ValidationError } from './errors';

/** Parses input with a zod schema; a failure names every bad field in one 400. */
export function parseInput<S extends ZodTypeAny>(
  schema: S,
  input: unknown,
  what = 'body',
): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({
    field: i.path.length ? i.path.join('.') : what,
    message: i.message,
  }));
  const summary = issues
    .slice(0, 5)
    .map((i) => `${i.field}: ${i.message}`)
    .join('; ');
  throw new ValidationError(`invalid ${what}: ${summary}`, issues);
}

const E164_MESSAGE = 'must be an E.164 phone number such as +14155550100';

/**
 * E.164, written exactly so (a plus and digits, no spaces) and a possible number for its country
 * by libphonenumber-js (right length for the country code). Possible rather than valid, so the
 * fictional 555 numbers of demos and tests and newly opened ranges are not refused.
 */
export const e164 = z
  .string()
  .trim()
  .refine(
    (v) => /^\+[1-9]\d{6,14}$/.test(v) && parsePhoneNumberFromString(v)?.isPossible() === true,
    E164_MESSAGE,
  );

export const uuidParam = z.string().uuid('must be a UUID');
