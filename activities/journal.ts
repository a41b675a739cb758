/**
 * The idempotency journal: small JSON files per (workflow run, step), each written atomically.
 *
 * Temporal retries an activity whose worker died; the activity may already have done its
 * work. Each mutating action writes `pending` (with what it needs to recognise its own work)
 * before it acts and `done` (with its result) after, so a repeated call finishes or replays
 * instead of acting twice.
 *
 * `pending` must be on disk before the action acts: it is fsync'd. `done` goes to a file of its
 * own (`….done.json`) and is not: a process that dies keeps it (the page cache outlives the
 * process), and if the machine loses it (power cut before write-back), the step reads as
 * `pending` again and takes the way every crash between the two writes takes: it recognises
 * its own work from the record. One fsync per mutating step instead of two; none for a step
 * that only reads.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ActionName, StepResult } from '../contract';

export interface StepKey {
  workflowId: string;
  runId: string;
  stepId: string;
}

export interface JournalEntry<P = Record<string, unknown>> {
  key: StepKey;
  action: ActionName;
  state: 'pending' | 'done';
  at: string;
  /** What the action needs to recognise or finish its own earlier work. Stays on disk. */
  record?: P;
  result?: StepResult;
}

/** A file-system-safe folder name for a workflow id. */
export function safeName(id: string): string {
  return /^[A-Za-z0-9._-]+$/.test(id) && id !== '.' && id !== '..' ? id : encodeURIComponent(id).replace(/\./g, '%2E');
}

export function incidentDir(home: string, workflowId: string): string {
  return join(home, 'incidents', safeName(workflowId));
}

/**
 * Write a file so readers see the old content or the new, never half: temp, rename. `durable`
 * (the default) fsyncs the content before the rename, so it survives the machine's crash too.
 */
export function writeFileAtomic(path: string, data: string, mode = 0o600, durable = true): void {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  // One descriptor writes and syncs (no second open of the file just to fsync it).
  const fd = openSync(tmp, 'w', mode);
  try {
    writeFileSync(fd, data);
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

const DONE = '.done.json';

export class Journal {
  /** Folders this process has made: `mkdir -p` is a few syscalls per write otherwise. */
  private readonly made = new Set<string>();

  constructor(private readonly home: string) {}

  private dir(workflowId: string): string {
    const dir = join(incidentDir(this.home, workflowId), 'journal');
    if (!this.made.has(dir)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      if (this.made.size > 10_000) this.made.clear();
      this.made.add(dir);
    }
    return dir;
  }

  private file(key: StepKey, done = false): string {
    return join(this.dir(key.workflowId), `${safeName(key.runId)}--${safeName(key.stepId)}${done ? DONE : '.json'}`);
  }

  /** The step's latest entry: its `done` where one reached the disk whole, else its `pending`. */
  read<P>(key: StepKey): JournalEntry<P> | undefined {
    return (readEntry(this.file(key, true), true) ?? readEntry(this.file(key), false)) as JournalEntry<P> | undefined;
  }

  write<P>(entry: JournalEntry<P>): void {
    const done = entry.state === 'done';
    const data = `${JSON.stringify(entry, null, 2)}\n`;
    const put = () => {
      writeFileAtomic(this.file(entry.key, done), data, 0o600, !done);
      // A pending entry is the step's latest state: an older done of it no longer stands.
      if (!done) rmSync(this.file(entry.key, true), { force: true });
    };
    try {
      put();
    } catch (err) {
      // The folder went away under us (an incident's files cleaned up): make it again.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.made.clear();
      put();
    }
  }

  /** Every entry of an incident, across its runs (each step's latest): how one step finds what an earlier one did. */
  all(workflowId: string): JournalEntry[] {
    const dir = this.dir(workflowId);
    const names = readdirSync(dir).filter((f) => f.endsWith('.json'));
    const steps = [...new Set(names.map((f) => (f.endsWith(DONE) ? f.slice(0, -DONE.length) : f.slice(0, -'.json'.length))))].sort();
    return steps.flatMap((step) => readEntry(join(dir, step + DONE), true) ?? readEntry(join(dir, `${step}.json`), false) ?? []);
  }
}

/**
 * One entry, or undefined where there is none. A `done` file the machine lost part of (written
 * without fsync) reads as absent: the `pending` beside it stands. A broken `pending` is an error.
 */
function readEntry(path: string, done: boolean): JournalEntry | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as JournalEntry;
  } catch (err) {
    if (done) return undefined;
    throw err;
  }
}
