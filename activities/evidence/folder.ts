/**
 * The incident's private evidence folders: `incidents/<id>/evidence/<step>/`, mode 0700,
 * read-only files, and a `manifest.json` with the SHA-256 of every file.
 *
 * Never overwrites or deletes: each attempt builds in its own staging folder and publishes it
 * with one rename; a crashed attempt's staging folder is left in place as it was.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { StepResult } from '../../contract';
import type { ActivityDeps } from '../deps';
import { StepError } from '../errors';
import { sha256, sha256File } from '../../common/hash';
import { incidentDir, safeName } from '../journal';
import type { StepIO } from '../step';

export interface ManifestEntry {
  path: string;
  sha256: string;
  bytes: number;
}

/** One thing captured: where it came from, where it went, and how many secrets were redacted. */
export interface SourceRecord {
  kind: string;
  /** What was captured: a path, a unit, a repository, a container, a command name. */
  name: string;
  /** The file in the folder, relative to it. */
  file: string;
  argv?: string[];
  exitCode?: number;
  redactions?: number;
}

export interface Manifest {
  incident: string;
  step: string;
  capturedAt: string;
  entries: ManifestEntry[];
  missing: string[];
  commands: { name: string; argv: string[]; exitCode: number }[];
  sources?: SourceRecord[];
}

/** Entries listed in the workflow history; the manifest file always has them all. */
const HISTORY_ENTRY_LIMIT = 100;

export function evidenceRoot(home: string, workflowId: string): string {
  return join(incidentDir(home, workflowId), 'evidence');
}

export function evidenceFolder(home: string, workflowId: string, stepId: string): string {
  return join(evidenceRoot(home, workflowId), safeName(stepId));
}

/** A plain file name for a path, a unit or a repository: `/var/log/agent.log` → `var_log_agent.log`. */
export function fileNameFor(text: string): string {
  return (
    text
      .replace(/^\/+/, '')
      .replace(/[^A-Za-z0-9._-]+/g, '_')
      .replace(/^\.+/, '_')
      .slice(0, 120) || '_'
  );
}

/** Write one captured text file into the staging folder, never over another. */
export function writeCaptured(staging: string, file: string, text: string): void {
  mkdirSync(dirname(join(staging, file)), { recursive: true, mode: 0o700 });
  writeFileSync(join(staging, file), text, { mode: 0o400, flag: 'wx' });
}

export interface Captured {
  missing: string[];
  commands: Manifest['commands'];
  sources: SourceRecord[];
}

/**
 * Build an evidence folder for this step with `capture` (which writes into `staging`), then
 * publish it. A folder this step already published is described again, not rebuilt.
 */
export async function publishEvidence(deps: ActivityDeps, io: StepIO, capture: (staging: string) => Promise<Captured>): Promise<StepResult> {
  const root = evidenceRoot(deps.home, io.key.workflowId);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  chmodSync(root, 0o700);
  const final = evidenceFolder(deps.home, io.key.workflowId, io.key.stepId);
  if (existsSync(join(final, 'manifest.json'))) return describe(final, readManifest(final), true);
  if (existsSync(final)) throw new StepError('UnsafeActionRefused', `evidence folder ${final} exists without a manifest; refusing to touch it`);

  const staging = join(root, `.${safeName(io.key.stepId)}.attempt-${Date.now()}`);
  mkdirSync(staging, { mode: 0o700 });
  const captured = await capture(staging);
  const manifest: Manifest = {
    incident: io.key.workflowId,
    step: io.key.stepId,
    capturedAt: deps.now().toISOString(),
    entries: await hashTree(staging),
    ...captured,
  };
  writeFileSync(join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o400, flag: 'wx' });
  freeze(staging);
  renameSync(staging, final);
  return describe(final, manifest, false);
}

export function readManifest(folder: string): Manifest {
  return JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as Manifest;
}

function describe(folder: string, manifest: Manifest, replayed: boolean): StepResult {
  const manifestSha256 = sha256(readFileSync(join(folder, 'manifest.json')));
  const copied = manifest.entries.filter((e) => e.path.startsWith('files/')).length;
  const captured = manifest.entries.length - copied;
  const redactions = (manifest.sources ?? []).reduce((n, s) => n + (s.redactions ?? 0), 0);
  return {
    summary: `captured ${copied} file(s) and ${captured} output(s)${manifest.missing.length ? `, ${manifest.missing.length} missing` : ''}${redactions ? `, ${redactions} secret(s) redacted` : ''} into ${folder}`,
    data: {
      folder,
      manifestSha256,
      files: manifest.entries.length,
      missing: manifest.missing,
      redactions,
      entries: manifest.entries.slice(0, HISTORY_ENTRY_LIMIT),
    },
    ...(replayed ? { replayed } : {}),
  };
}

async function hashTree(root: string): Promise<ManifestEntry[]> {
  const entries: ManifestEntry[] = [];
  const walk = async (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const st = lstatSync(full);
      if (st.isDirectory()) await walk(full);
      else if (st.isFile()) entries.push({ path: relative(root, full), sha256: await sha256File(full), bytes: st.size });
    }
  };
  await walk(root);
  return entries;
}

/** Make captured files read-only, so a careless later step cannot rewrite evidence. */
function freeze(dir: string): void {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    const st = lstatSync(full);
    if (st.isDirectory()) {
      freeze(full);
      chmodSync(full, 0o500);
    } else if (st.isFile()) chmodSync(full, 0o400);
  }
}

/** Check a captured folder against its manifest; returns the paths that no longer match. */
export async function verifyEvidence(folder: string): Promise<string[]> {
  const manifest = readManifest(folder);
  const bad: string[] = [];
  for (const entry of manifest.entries) {
    const full = join(folder, entry.path);
    if (!existsSync(full) || (await sha256File(full)) !== entry.sha256) bad.push(entry.path);
  }
  return bad;
}
