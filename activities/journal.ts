/**
 * The idempotency journal: one small JSON file per (workflow run, step), written atomically.
 * Each write is durable (fsync'd), so a step writes only at the transitions a retry must see.
 *
 * Temporal retries an activity whose worker died; the activity may already have done its
 * work. Each mutating action writes `pending` (with what it needs to recognise its own work)
 * before it acts and `done` (with its result) after, so a repeated call finishes or replays
 * instead of acting twice.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
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

/** Write a file so readers see the old content or the new, never half: temp, fsync, rename. */
export function writeFileAtomic(path: string, data: string, mode = 0o600): void {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  // One descriptor writes and syncs (no second open of the file just to fsync it).
  const fd = openSync(tmp, 'w', mode);
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

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

  private file(key: StepKey): string {
    return join(this.dir(key.workflowId), `${safeName(key.runId)}--${safeName(key.stepId)}.json`);
  }

  read<P>(key: StepKey): JournalEntry<P> | undefined {
    try {
      return JSON.parse(readFileSync(this.file(key), 'utf8')) as JournalEntry<P>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  write<P>(entry: JournalEntry<P>): void {
    const data = `${JSON.stringify(entry, null, 2)}\n`;
    try {
      writeFileAtomic(this.file(entry.key), data);
    } catch (err) {
      // The folder went away under us (an incident's files cleaned up): make it again.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.made.clear();
      writeFileAtomic(this.file(entry.key), data);
    }
  }

  /** Every entry of an incident, across its runs: how one step finds what an earlier one did. */
  all(workflowId: string): JournalEntry[] {
    const dir = this.dir(workflowId);
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as JournalEntry);
  }
}
