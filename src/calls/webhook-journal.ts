import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../shared/logger';
import { acquirePidLock } from '../shared/pid-lock';

/** One acknowledged webhook that is not (known to be) in the database yet. */
export interface JournalEntry {
  id: string;
  kind: string;
  params: Record<string, string>;
  /** ISO 8601: when Leadline received it. */
  receivedAt: string;
  /** The event's dedupe key as received, kept when personal fields were erased from params. */
  dedupeKey?: string;
}

/** Another live process holds this journal: two writers would replay each other's entries. */
export class JournalInUseError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(
      `another Leadline process (pid ${pid}) holds the webhook journal in ${dir}; stop it or set WEBHOOK_JOURNAL_DIR to another directory`,
    );
    this.name = 'JournalInUseError';
  }
}

const LOCK_FILE = 'journal.lock';
const SEGMENT = /^webhooks-(\d+)\.ndjson$/;
/** A segment this large is sealed and a new one started, so finished segments can be deleted. */
const SEGMENT_BYTES = 8 * 1024 * 1024;
/** Takes the journal's lock file (one process per journal); see acquirePidLock. */
function lockJournal(dir: string): () => void {
  const lock = acquirePidLock(path.join(dir, LOCK_FILE));
  if ('heldBy' in lock) throw new JournalInUseError(dir, lock.heldBy);
  return lock.release;
}

/**
 * Reads one segment: a JSON object per line. A last line without its newline was being written
 * when the process died (it was never acknowledged) and is ignored, as is any unreadable line.
 */
export function readSegment(file: string, log?: Logger): JournalEntry[] {
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const torn = lines.pop();
  if (torn) log?.warn({ file, bytes: torn.length }, 'ignored a torn last line in the journal');
  const entries: JournalEntry[] = [];
  for (const line of lines) {
    if (!line) continue;
    try {
      const e = JSON.parse(line) as JournalEntry;
      if (typeof e.id === 'string' && typeof e.kind === 'string' && e.params) entries.push(e);
    } catch {
      log?.error({ file }, 'ignored an unreadable journal line');
    }
  }
  return entries;
}

/**
 * The local journal: webhooks Leadline acknowledged before the database had them. Appends are
 * fsynced before they resolve (concurrent appends share one write and one fsync); an entry is
 * marked done once it is in the database, and a segment file is deleted when all its entries are.
 * One process per directory, held by a lock file with its pid.
 */
export function openWebhookJournal(opts: { dir: string; log: Logger }) {
  const dir = path.resolve(opts.dir);
  const { log } = opts;
  fs.mkdirSync(dir, { recursive: true });
  const unlock = lockJournal(dir);

  /** Entry ids still wanted, per segment file. */
  const live = new Map<string, Set<string>>();
  const segmentOf = new Map<string, string>();
  const recovered: JournalEntry[] = [];
  let nextSeq = 0;
  for (const name of fs.readdirSync(dir).sort()) {
    const m = SEGMENT.exec(name);
    if (!m) continue;
    nextSeq = Math.max(nextSeq, Number(m[1]) + 1);
    const file = path.join(dir, name);
    const entries = readSegment(file, log);
    if (entries.length === 0) {
      fs.rmSync(file, { force: true });
      continue;
    }
    live.set(file, new Set(entries.map((e) => e.id)));
    for (const e of entries) {
      segmentOf.set(e.id, file);
      recovered.push(e);
    }
  }

  let active: { file: string; fh: fs.promises.FileHandle; bytes: number } | null = null;
  type Waiter = { entry: JournalEntry; resolve: () => void; reject: (e: unknown) => void };
  let waiting: Waiter[] = [];
  /** The batch taken from `waiting` and not yet on disk. */
  let inBatch: Waiter[] = [];
  let chain: Promise<unknown> = Promise.resolve();
  let writing = false;
  let closed = false;

  /** Runs `fn` after everything queued before it: writes and deletions never interleave. */
  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = chain.then(fn);
    chain = run.catch(() => undefined);
    return run;
  }

  async function syncDir() {
    const d = await fs.promises.open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  }

  async function writeBatch() {
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      inBatch = batch;
      try {
        await exclusive(async () => {
          if (closed) throw new Error('the webhook journal is closed');
          if (!active || active.bytes > SEGMENT_BYTES) {
            await active?.fh.close();
            const file = path.join(dir, `webhooks-${String(nextSeq++).padStart(10, '0')}.ndjson`);
            active = { file, fh: await fs.promises.open(file, 'a'), bytes: 0 };
            live.set(file, new Set());
            await syncDir();
          }
          const seg = active;
          const buf = Buffer.from(batch.map((w) => `${JSON.stringify(w.entry)}\n`).join(''));
          const ids = live.get(seg.file);
          for (const w of batch) {
            ids?.add(w.entry.id);
            segmentOf.set(w.entry.id, seg.file);
          }
          await seg.fh.write(buf);
          await seg.fh.datasync();
          seg.bytes += buf.length;
        });
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
      inBatch = [];
    }
    writing = false;
  }

  return {
    dir,
    /** What a previous process left: entries to put in the database (they may be there already). */
    recovered: (): JournalEntry[] => recovered.slice(),

    /**
     * Appends one webhook and resolves once it is on disk (fsynced). `dedupeKey`: the key it had
     * as received, when its params were changed since (an erasure).
     */
    append(
      kind: string,
      params: Record<string, string>,
      receivedAt: Date,
      dedupeKey?: string,
    ): Promise<JournalEntry> {
      const entry: JournalEntry = {
        id: randomUUID(),
        kind,
        params,
        receivedAt: receivedAt.toISOString(),
        ...(dedupeKey ? { dedupeKey } : {}),
      };
      return new Promise<JournalEntry>((resolve, reject) => {
        // Resolves with the entry as written: an erasure may have replaced it while it waited.
        const w: Waiter = { entry, resolve: () => resolve(w.entry), reject };
        waiting.push(w);
        if (!writing) {
          writing = true;
          // Appends that arrive while this write and fsync run go into the next batch together.
          void writeBatch();
        }
      });
    },

    /** The entry is in the database (or the dead-letter store): its segment may go. */
    markDone(id: string): Promise<void> {
      return exclusive(async () => {
        const file = segmentOf.get(id);
        if (!file) return;
        segmentOf.delete(id);
        const ids = live.get(file);
        ids?.delete(id);
        if (ids && ids.size > 0) return;
        live.delete(file);
        if (active?.file === file) {
          await active.fh.close();
          active = null;
        }
        await fs.promises.rm(file, { force: true });
      });
    },

    /**
     * Rewrites every segment: entries already done are dropped, and `scrub` may replace an entry
     * (its personal fields erased). Each file is replaced atomically (written, fsynced, renamed).
     * Answers how many entries `scrub` replaced, on disk or still waiting to be written.
     */
    rewrite(scrub: (e: JournalEntry) => JournalEntry | undefined): Promise<number> {
      // Ids, not a count: a batch being written is scrubbed here and again once on disk.
      const replaced = new Set<string>();
      for (const w of [...waiting, ...inBatch]) {
        const next = scrub(w.entry);
        if (next) {
          w.entry = next;
          replaced.add(next.id);
        }
      }
      return exclusive(async () => {
        for (const [file, ids] of [...live]) {
          const entries = fs.existsSync(file) ? readSegment(file, log) : [];
          let changed = false;
          const kept: JournalEntry[] = [];
          for (const e of entries) {
            if (!ids.has(e.id)) {
              changed = true;
              continue;
            }
            const next = scrub(e);
            if (next) {
              replaced.add(next.id);
              changed = true;
            }
            kept.push(next ?? e);
          }
          // A file with no live entry was deleted when its last entry was done.
          if (!changed || kept.length === 0) continue;
          const isActive = active?.file === file;
          if (isActive) await active?.fh.close();
          const tmp = `${file}.tmp`;
          const buf = Buffer.from(kept.map((e) => `${JSON.stringify(e)}\n`).join(''));
          const fh = await fs.promises.open(tmp, 'w');
          try {
            await fh.write(buf);
            await fh.datasync();
          } finally {
            await fh.close();
          }
          await fs.promises.rename(tmp, file);
          await syncDir();
          if (isActive) active = { file, fh: await fs.promises.open(file, 'a'), bytes: buf.length };
        }
        return replaced.size;
      });
    },

    /** Entries acknowledged but not yet known to be in the database. */
    backlog: () => segmentOf.size,

    /** Closes the file and releases the lock; entries not done stay for the next start. */
    async close(opts: { removeDirIfEmpty?: boolean } = {}) {
      await exclusive(async () => {
        closed = true;
        await active?.fh.close();
        active = null;
      });
      unlock();
      if (opts.removeDirIfEmpty && segmentOf.size === 0) {
        await fs.promises.rm(dir, { recursive: true, force: true });
      }
    },
  };
}
export type WebhookJournal = ReturnType<typeof openWebhookJournal>;
