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

/** E.164: a plus, a country code and up to 15 digits in all. */
export const e164 = z
  .string()
  .trim()
  .regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number such as +14155550100');

export const uuidParam = z.string().uuid('must be a UUID');
