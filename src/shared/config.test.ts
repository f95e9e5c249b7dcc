import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('runs embedded and in demo mode with an empty environment', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ PORT: 3000, database: 'embedded', demoMode: true });
    expect(c.publicBaseUrl).toBe('http://localhost:3000');
  });

  it('uses postgres when DATABASE_URL is set and trims the public URL', () => {
    const c = loadConfig({
      DATABASE_URL: 'postgres://u@h:5432/db',
      PUBLIC_BASE_URL: 'https://calls.example.com/',
    });
    expect(c.database).toBe('postgres');
    expect(c.publicBaseUrl).toBe('https://calls.example.com');
  });

  it('names the variable that is wrong', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ TWILIO_ACCOUNT_SID: 'nope', TWILIO_AUTH_TOKEN: 't' })).toThrow(
      /TWILIO_ACCOUNT_SID/,
    );
  });

  it('refuses half of the Twilio credentials', () => {
    expect(() => loadConfig({ TWILIO_AUTH_TOKEN: 'secret' })).toThrow(ConfigError);
  });

  it('leaves demo mode when Twilio credentials are given', () => {
    const c = loadConfig({ TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'tok' });
    expect(c.demoMode).toBe(false);
  });
});
