import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../shared/logger';
import { JournalInUseError, openWebhookJournal, readSegment } from './webhook-journal';

const log = createLogger('silent');
const at = new Date('2026-06-01T15:00:00Z');
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'journal-test-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const segments = () => fs.readdirSync(dir).filter((f) => f.endsWith('.ndjson'));

describe('webhook journal', () => {
  it('writes concurrent appends to disk and hands them to the next process once', async () => {
    const j = openWebhookJournal({ dir, log });
    const entries = await Promise.all(
      Array.from({ length: 50 }, (_, i) => j.append('status', { CallSid: `CA${i}` }, at)),
    );
    expect(j.backlog()).toBe(50);
    // Killed here: nothing closed, the lock file left behind with this (live) pid.
    fs.writeFileSync(path.join(dir, 'journal.lock'), '999999999');
    await j.close();
    const next = openWebhookJournal({ dir, log });
    const recovered = next.recovered();
    expect(recovered.map((e) => e.id).sort()).toEqual(entries.map((e) => e.id).sort());
    expect(recovered[0]).toMatchObject({ kind: 'status', receivedAt: at.toISOString() });
    for (const e of recovered) await next.markDone(e.id);
    expect(segments()).toEqual([]);
    await next.close();
    const third = openWebhookJournal({ dir, log });
    expect(third.recovered()).toEqual([]);
    await third.close();
  });

  it('deletes a segment only when every entry in it is done', async () => {
    const j = openWebhookJournal({ dir, log });
    const a = await j.append('voice', { CallSid: 'a' }, at);
    const b = await j.append('voice', { CallSid: 'b' }, at);
    await j.markDone(a.id);
    expect(segments()).toHaveLength(1);
    await j.markDone(b.id);
    expect(segments()).toHaveLength(0);
    const c = await j.append('voice', { CallSid: 'c' }, at);
    expect(segments()).toHaveLength(1);
    await j.close();
    const again = openWebhookJournal({ dir, log });
    expect(again.recovered().map((e) => e.id)).toEqual([c.id]);
    await again.close();
  });

  it('ignores a torn last line left by a crash mid-write', async () => {
    const j = openWebhookJournal({ dir, log });
    const kept = await j.append('status', { CallSid: 'kept' }, at);
    await j.close();
    const [seg] = segments();
    fs.appendFileSync(path.join(dir, seg ?? ''), '{"id":"torn","kind":"sta');
    expect(readSegment(path.join(dir, seg ?? '')).map((e) => e.id)).toEqual([kept.id]);
    const next = openWebhookJournal({ dir, log });
    expect(next.recovered().map((e) => e.id)).toEqual([kept.id]);
    await next.close();
  });

  it('refuses a journal held by a live process and takes over one whose process is gone', async () => {
    const lock = path.join(dir, 'journal.lock');
    const exited = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const deadPid = String(exited.stdout);
    // A pid held by a live process other than ours: refused.
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 5000)']);
    fs.writeFileSync(lock, String(sleeper.pid));
    expect(() => openWebhookJournal({ dir, log })).toThrow(JournalInUseError);
    sleeper.kill('SIGKILL');
    await new Promise((r) => sleeper.once('exit', r));
    fs.writeFileSync(lock, deadPid);
    const j = openWebhookJournal({ dir, log });
    expect(fs.readFileSync(lock, 'utf8')).toBe(String(process.pid));
    // A second journal on the same directory in this process is refused too.
    expect(() => openWebhookJournal({ dir, log })).toThrow(JournalInUseError);
    await j.close();
    expect(fs.existsSync(lock)).toBe(false);
  });
});
