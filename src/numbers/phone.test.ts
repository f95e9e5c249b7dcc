import { nationalFormat, numberView } from './phone';

describe('nationalFormat', () => {
  it.each([
    ['+14155550100', '(415) 555-0100'],
    ['+18885550000', '(888) 555-0000'],
    ['+442079460958', '020 7946 0958'],
    ['+33142685300', '01 42 68 53 00'],
    ['+61293744000', '(02) 9374 4000'],
  ])('shows %s as its country writes it: %s', (e164, national) => {
    expect(nationalFormat(e164)).toBe(national);
  });

  it('shows a number it cannot parse as given', () => {
    expect(nationalFormat('+999123')).toBe('+999123');
  });

  it('builds the view the DNI answer and API return', () => {
    expect(numberView({ e164: '+442079460958' })).toEqual({
      e164: '+442079460958',
      national: '020 7946 0958',
    });
  });
});
