/**
 * quarantine / unquarantine: move a file or folder (a leaked artifact in a publish folder, a
 * corrupted memory card, a bad handoff) into the incident's private quarantine, keeping its
 * metadata and hash, leaving a placeholder where the runbook asks for one; and put it back.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { StepResult } from '../contract';
import type { ActivityDeps } from './deps';
import { StepError } from './errors';
import { sha256, sha256File, treeDigest } from '../common/hash';
import { incidentDir, safeName, writeFileAtomic } from './journal';
import { defineStep, withHeartbeat, type StepIO } from './step';

interface QuarantineRecord {
  [field: string]: unknown;
  source: string;
  item: string;
  type: 'file' | 'directory' | 'symlink';
  sha256: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: string;
  bytes: number;
  placeholder?: string;
  placeholderSha256?: string;
}

/** The name of the placeholder file left in a quarantined folder's place. */
const PLACEHOLDER_NAME = 'QUARANTINED.txt';

/** One hash for a file, a folder (its files' hashes, by relative path) or a link (its target). */
export async function contentHash(path: string): Promise<string> {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return sha256(`symlink:${readlinkSync(path)}`);
  if (st.isFile()) return sha256File(path);
  return sha256(JSON.stringify([...(await treeDigest(path))]));
}

async function move(deps: ActivityDeps, io: StepIO, from: string, to: string): Promise<void> {
  try {
    renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    // Another file system: copy with its metadata, check, then remove the original.
    const result = await withHeartbeat(io, deps.run(['cp', '-a', '--no-target-directory', '--', from, to], { signal: io.signal }));
    if (result.exitCode !== 0) throw new StepError('CommandFailed', `cp -a ${from} exited ${result.exitCode}: ${result.stderr.trim()}`);
    if ((await contentHash(from)) !== (await contentHash(to))) throw new StepError('VerificationFailed', `the copy of ${from} differs from it`);
    rmSync(from, { recursive: true });
  }
}

function placeholderPath(record: QuarantineRecord): string {
  return record.type === 'directory' ? join(record.source, PLACEHOLDER_NAME) : record.source;
}

function writePlaceholder(record: QuarantineRecord): void {
  if (record.placeholder === undefined || existsSync(placeholderPath(record))) return;
  if (record.type === 'directory') mkdirSync(record.source, { recursive: true });
  writeFileSync(placeholderPath(record), record.placeholder, { mode: 0o644 });
}

/** True when what stands at the original path is exactly our placeholder (or nothing). */
function onlyOurPlaceholder(record: QuarantineRecord): boolean {
  const st = lstatSync(record.source, { throwIfNoEntry: false });
  if (!st) return true;
  if (record.placeholder === undefined) return false;
  if (record.type === 'directory' && (!st.isDirectory() || readdirSync(record.source).join('/') !== PLACEHOLDER_NAME)) return false;
  return sha256(readFileSync(placeholderPath(record))) === record.placeholderSha256;
}

/**
 * "Quarantined" is read back from the disk, not from the move's return: the original path
 * holds nothing but our placeholder, and the copy in quarantine has the recorded hash.
 */
async function quarantineResult(record: QuarantineRecord, replayed: boolean): Promise<StepResult> {
  const cleared = onlyOurPlaceholder(record);
  const held = (await contentHash(record.item)) === record.sha256;
  if (!cleared) throw new StepError('VerificationFailed', `${record.source} holds something other than the quarantine placeholder after the move`);
  if (!held) throw new StepError('VerificationFailed', `the quarantined copy ${record.item} does not have the hash recorded before the move`);
  const proof = [
    {
      check: 'source-cleared',
      target: record.source,
      ok: true,
      detail: record.placeholder !== undefined ? 'only the placeholder is there' : 'nothing is there',
    },
    { check: 'copy-hash', target: record.item, ok: true, detail: `sha256 ${record.sha256.slice(0, 12)}… as recorded` },
  ];
  return {
    summary: `quarantined ${record.type} ${record.source} (${record.sha256.slice(0, 12)}…) into ${dirname(record.item)}${record.placeholder !== undefined ? '; placeholder left' : ''}: ${record.source} checked clear, copy hash checked`,
    data: {
      proof,
      path: record.source,
      quarantinedTo: record.item,
      type: record.type,
      sha256: record.sha256,
      bytes: record.bytes,
      mode: record.mode,
      placeholder: record.placeholder !== undefined,
      undo: { action: 'unquarantine', args: { path: record.source } },
    },
    ...(replayed ? { replayed } : {}),
  };
}

export function quarantineActivities(deps: ActivityDeps) {
  const folderOf = (io: { key: { workflowId: string; stepId: string } }) =>
    join(incidentDir(deps.home, io.key.workflowId), 'quarantine', safeName(io.key.stepId));

  const quarantine = defineStep(deps, 'quarantine', {
    plan: (args, key) => {
      const source = resolve(args.path);
      if (!lstatSync(source, { throwIfNoEntry: false })) throw new StepError('TargetNotFound', `${source} does not exist`);
      return [
        { kind: 'move', detail: `move ${source} into ${join(folderOf({ key }), basename(source))}, recording its mode, owner, times and SHA-256` },
        ...(args.placeholder !== undefined ? [{ kind: 'write' as const, detail: `leave a placeholder at ${source}` }] : []),
      ];
    },
    run: async (io, args) => {
      const source = resolve(args.path);
      const earlier = io.pending?.record as QuarantineRecord | undefined;
      if (earlier && existsSync(earlier.item)) {
        writePlaceholder(earlier);
        return await quarantineResult(earlier, false);
      }
      const st = lstatSync(source, { throwIfNoEntry: false });
      if (!st) throw new StepError('TargetNotFound', `${source} does not exist`);
      const folder = folderOf(io);
      const record: QuarantineRecord = {
        source,
        item: join(folder, basename(source)),
        type: st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'directory' : 'file',
        sha256: await contentHash(source),
        mode: st.mode & 0o7777,
        uid: st.uid,
        gid: st.gid,
        mtime: st.mtime.toISOString(),
        bytes: st.size,
        ...(args.placeholder !== undefined ? { placeholder: args.placeholder, placeholderSha256: sha256(args.placeholder) } : {}),
      };
      io.markPending(record);
      mkdirSync(folder, { recursive: true, mode: 0o700 });
      writeFileAtomic(
        join(folder, 'record.json'),
        `${JSON.stringify({ ...record, reason: args.reason ?? null, at: deps.now().toISOString() }, null, 2)}\n`,
        0o400,
      );
      await move(deps, io, source, record.item);
      writePlaceholder(record);
      return await quarantineResult(record, false);
    },
  });

  const unquarantine = defineStep(deps, 'unquarantine', {
    plan: (args) => {
      const source = resolve(args.path);
      return [{ kind: 'move', detail: `put the quarantined ${source} back (refused at run time if something other than its placeholder is there now)` }];
    },
    run: async (io, args) => {
      const source = resolve(args.path);
      const records = io.journal
        .all(io.key.workflowId)
        .filter((e) => e.action === 'quarantine' && (e.record as QuarantineRecord | undefined)?.source === source)
        .sort((a, b) => a.at.localeCompare(b.at));
      const record = records.at(-1)?.record as QuarantineRecord | undefined;
      if (!record) throw new StepError('TargetNotFound', `this incident has not quarantined ${source}`);
      const undo = { action: 'quarantine', args: { path: source, ...(record.placeholder !== undefined ? { placeholder: record.placeholder } : {}) } };
      if (!existsSync(record.item)) {
        // An earlier attempt already moved it back.
        if (existsSync(source) && (await contentHash(source)) === record.sha256)
          return { summary: `${source} is back`, data: { path: source, sha256: record.sha256, undo } };
        throw new StepError('TargetNotFound', `the quarantined copy ${record.item} is gone`);
      }
      if (!onlyOurPlaceholder(record))
        throw new StepError('UnsafeActionRefused', `${source} holds something other than the quarantine placeholder now; move it away first`);
      io.markPending({ restoring: record.item });
      rmSync(source, { recursive: true, force: true });
      await move(deps, io, record.item, source);
      const now = await contentHash(source);
      if (now !== record.sha256)
        throw new StepError('VerificationFailed', `${source} is back but its hash changed (${now.slice(0, 12)} ≠ ${record.sha256.slice(0, 12)})`);
      return { summary: `put ${record.type} ${source} back from quarantine (hash verified)`, data: { path: source, sha256: record.sha256, undo } };
    },
  });

  return { quarantine, unquarantine };
}
