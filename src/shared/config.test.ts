import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

describe('loadConfig with a .env file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadline-dotenv-'));
  const file = path.join(dir, '.env');
  fs.writeFileSync(file, 'PORT=4100\nDNI_RATE_LIMIT_PER_MINUTE=7\nDATABASE_URL=\n');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads variables the environment does not set', () => {
    const c = loadConfig({}, { dotenvPath: file });
    expect(c).toMatchObject({ PORT: 4100, DNI_RATE_LIMIT_PER_MINUTE: 7, database: 'embedded' });
  });

  it('never overrides a variable already set', () => {
    expect(loadConfig({ PORT: '5000' }, { dotenvPath: file }).PORT).toBe(5000);
  });

  it('is not read in tests', () => {
    expect(loadConfig({ NODE_ENV: 'test' }, { dotenvPath: file }).PORT).toBe(3000);
    expect(loadConfig({ JEST_WORKER_ID: '1' }, { dotenvPath: file }).PORT).toBe(3000);
  });

  it('starts without one', () => {
    expect(loadConfig({}, { dotenvPath: path.join(dir, 'missing.env') }).PORT).toBe(3000);
  });
});
