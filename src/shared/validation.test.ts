import { z } from 'zod';
import { ValidationError } from './errors';
import { e164, parseInput } from './validation';

describe('e164', () => {
  it.each(['+14155550100', '+442079460958', '+33142685300', ' +14155550100 '])(
    'accepts %j',
    (v) => {
      expect(e164.parse(v)).toBe(v.trim());
    },
  );

  it.each([
    ['no plus', '14155550100'],
    ['spaces inside', '+1 415 555 0100'],
    ['too short for its country', '+1415555010'],
    ['too long for its country', '+4420794609581234'],
    ['an unknown country code', '+9991234567'],
    ['text after it', '+14155550100x'],
  ])('refuses %s', (_what, v) => {
    expect(e164.safeParse(v).success).toBe(false);
  });

  it('names the field in the error', () => {
    const schema = z.object({ fallbackNumber: e164 });
    expect(() => parseInput(schema, { fallbackNumber: '+1415' })).toThrow(ValidationError);
    expect(() => parseInput(schema, { fallbackNumber: '+1415' })).toThrow(
      /fallbackNumber: must be an E\.164 phone number/,
    );
  });
});
