import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseMissingError, DataDirInUseError, openDatabase } from './db';

describe('openDatabase on an embedded data directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadline-lock-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a second open of the same directory until the first is closed', async () => {
    const first = await openDatabase({ dataDir: dir });
    try {
      const second = openDatabase({ dataDir: dir });
      await expect(second).rejects.toThrow(DataDirInUseError);
      await expect(openDatabase({ dataDir: dir })).rejects.toThrow(
        `Leadline is running on this data directory (${dir}); use the API or stop it first`,
      );
      expect(fs.readFileSync(path.join(dir, 'leadline.lock'), 'utf8')).toBe(String(process.pid));
    } finally {
      await first.close();
    }
    expect(fs.existsSync(path.join(dir, 'leadline.lock'))).toBe(false);
    const again = await openDatabase({ dataDir: dir });
    await again.close();
  }, 60_000);

  it('takes over a lock left by a process that is gone', async () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    fs.writeFileSync(path.join(dir, 'leadline.lock'), String(gone.stdout));
    const db = await openDatabase({ dataDir: dir });
    expect(fs.readFileSync(path.join(dir, 'leadline.lock'), 'utf8')).toBe(String(process.pid));
    await db.close();
  }, 60_000);
});

describe('DatabaseMissingError', () => {
  it('says how to create the database the URL names', () => {
    expect(new DatabaseMissingError('postgres://postgres@127.0.0.1:5432/leadline').message).toBe(
      'database "leadline" does not exist; create it with: createdb -h 127.0.0.1 -U postgres leadline',
    );
    expect(new DatabaseMissingError('postgresql://app%40x@db.internal:6432/calls').message).toBe(
      'database "calls" does not exist; create it with: createdb -h db.internal -p 6432 -U app@x calls',
    );
  });
});
