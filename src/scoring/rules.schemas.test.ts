import { formatPath, ruleSetInput } from './rules.schemas';

const errorsOf = (doc: unknown) => {
  const r = ruleSetInput.safeParse(doc);
  return r.success ? [] : r.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
};
const rule = (over: Record<string, unknown> = {}) => ({
  id: 'r',
  name: 'R',
  when: { fact: 'answered', is: true },
  points: 10,
  ...over,
});

describe('scoring rule documents', () => {
  it('names an unknown fact where it is', () => {
    const doc = {
      rules: [
        rule({ id: 'a' }),
        rule({ id: 'b' }),
        rule({ id: 'c', when: { all: [{ fact: 'talkSecs', gte: 60 }] } }),
      ],
    };
    expect(errorsOf(doc)).toEqual(['rules[2].when.all[0]: unknown fact "talkSecs"']);
  });

  it('names a bad value inside a fact test', () => {
    expect(
      errorsOf({ rules: [rule({ when: { any: [{ fact: 'talkSeconds', gte: 'long' }] } })] }),
    ).toEqual(['rules[0].when.any[0].gte: Expected number, received string']);
    expect(
      errorsOf({
        rules: [rule({ when: { fact: 'hourOfDay', timezone: 'Mars/Base', from: 1, to: 2 } })],
      }),
    ).toEqual(['rules[0].when.timezone: must be an IANA time zone such as America/Chicago']);
  });

  it('refuses rules that do nothing, duplicate ids and unknown keys', () => {
    expect(errorsOf({ rules: [rule({ points: undefined })] })).toEqual([
      'rules[0]: gives no points and sets nothing',
    ]);
    expect(errorsOf({ rules: [rule(), rule()] })).toEqual(['rules[1].id: duplicate rule id "r"']);
    expect(
      errorsOf({ rules: [rule({ when: { fact: 'answered', is: true, extra: 1 } })] })[0],
    ).toMatch(/^rules\[0\]\.when: Unrecognized key/);
    expect(errorsOf({ rules: [rule({ when: { every: [] } })] })).toEqual([
      'rules[0].when: needs fact, all, any or not',
    ]);
  });

  it('ignores read-only fields and fills default thresholds', () => {
    const parsed = ruleSetInput.parse({ siteId: 'x', version: 7, rules: [rule()] });
    expect(parsed).toEqual({
      rules: [rule()],
      thresholds: { hot: 70, warm: 40, qualified: 50 },
    });
  });
});
