import { ALL_PARTY_CONSENT_STATES, consentNoticeRequired } from './consent';

const call = { recorded: true, transcribed: false, callerState: 'CA' };

describe('consentNoticeRequired', () => {
  it('prompts callers in all-party states by default, not others or unknown ones', () => {
    expect(consentNoticeRequired({ ...call, setting: undefined })).toBe(true);
    expect(
      consentNoticeRequired({ ...call, setting: 'all-party-states', callerState: ' pa ' }),
    ).toBe(true);
    expect(consentNoticeRequired({ ...call, setting: 'all-party-states', callerState: 'TX' })).toBe(
      false,
    );
    expect(consentNoticeRequired({ ...call, setting: 'all-party-states', callerState: null })).toBe(
      false,
    );
  });

  it('always or never as set, and never when nothing is recorded or transcribed', () => {
    expect(consentNoticeRequired({ ...call, setting: 'always', callerState: 'TX' })).toBe(true);
    expect(consentNoticeRequired({ ...call, setting: 'off' })).toBe(false);
    expect(
      consentNoticeRequired({
        setting: 'always',
        recorded: false,
        transcribed: false,
        callerState: 'CA',
      }),
    ).toBe(false);
    expect(
      consentNoticeRequired({
        setting: 'always',
        recorded: false,
        transcribed: true,
        callerState: 'TX',
      }),
    ).toBe(true);
  });

  it('lists the twelve commonly cited all-party states', () => {
    expect([...ALL_PARTY_CONSENT_STATES].sort()).toEqual([
      'CA',
      'CT',
      'FL',
      'IL',
      'MA',
      'MD',
      'MI',
      'MT',
      'NH',
      'NV',
      'PA',
      'WA',
    ]);
  });
});
