/**
 * captureEvidence: copy files and command output into the incident's private evidence
 * folder, then write a SHA-256 manifest. The folder is mode 0700 and its files read-only.
 *
 * Never overwrites or deletes: each attempt builds in its own staging folder and publishes it
 * with one rename; a crashed attempt's staging folder is left in place as it was.
 */
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { ActivityDeps } from './deps';
import { StepError } from './errors';
import { sha256, sha256File } from './hash';
import { incidentDir, safeName } from './journal';
import { defineStep, withHeartbeat } from './step';

export interface ManifestEntry {
  path: string;
  sha256: string;
  bytes: number;
}

export interface Manifest {
  incident: string;
  step: string;
  capturedAt: string;
  entries: ManifestEntry[];
  missing: string[];
  commands: { name: string; argv: string[]; exitCode: number }[];
}

/** Entries listed in the workflow history; the manifest file always has them all. */
const HISTORY_ENTRY_LIMIT = 100;

export function evidenceRoot(home: string, workflowId: string): string {
  return join(incidentDir(home, workflowId), 'evidence');
}

export function evidenceActivities(deps: ActivityDeps) {
  const captureEvidence = defineStep(deps, 'captureEvidence', {
    plan: (args, key) => {
      const folder = join(evidenceRoot(deps.home, key.workflowId), safeName(key.stepId));
      return [
        ...args.files.map((f) => ({ kind: 'copy' as const, detail: `copy ${resolve(f)}${existsSync(f) ? '' : ' (missing now)'} into ${folder}` })),
        ...args.commands.map((c) => ({ kind: 'command' as const, detail: `run ${JSON.stringify(c.argv)} and save its output as ${c.name}` })),
        { kind: 'write' as const, detail: `write ${join(folder, 'manifest.json')} (SHA-256 of every file)` },
      ];
    },
    run: async (io, args) => {
      const root = evidenceRoot(deps.home, io.key.workflowId);
      mkdirSync(root, { recursive: true, mode: 0o700 });
      chmodSync(root, 0o700);
      const final = join(root, safeName(io.key.stepId));
      if (existsSync(join(final, 'manifest.json'))) return describe(final, readManifest(final), true);
      if (existsSync(final)) throw new StepError('UnsafeActionRefused', `evidence folder ${final} exists without a manifest; refusing to touch it`);

      const staging = join(root, `.${safeName(io.key.stepId)}.attempt-${Date.now()}`);
      mkdirSync(staging, { mode: 0o700 });
      const missing: string[] = [];
      for (const file of args.files) {
        io.heartbeat({ copying: file });
        const source = resolve(file);
        if (!existsSync(source)) {
          missing.push(source);
          continue;
        }
        const dest = join(staging, 'files', source.replace(/^\/+/, ''));
        mkdirSync(join(dest, '..'), { recursive: true, mode: 0o700 });
        // cp -a semantics: recursive, timestamps and modes kept, symlinks copied as links.
        cpSync(source, dest, { recursive: true, preserveTimestamps: true, errorOnExist: true, force: false, verbatimSymlinks: true });
      }
      const commands: Manifest['commands'] = [];
      for (const command of args.commands) {
        io.heartbeat({ running: command.name });
        const result = await withHeartbeat(io, deps.run(command.argv, { ...(command.cwd ? { cwd: command.cwd } : {}), signal: io.signal, timeoutMs: 120_000 }));
        mkdirSync(join(staging, 'commands'), { recursive: true, mode: 0o700 });
        writeFileSync(join(staging, 'commands', command.name), formatCommand(command.argv, result), { mode: 0o400, flag: 'wx' });
        commands.push({ name: command.name, argv: command.argv, exitCode: result.exitCode });
      }
      const manifest: Manifest = {
        incident: io.key.workflowId,
        step: io.key.stepId,
        capturedAt: new Date().toISOString(),
        entries: await hashTree(staging),
        missing,
        commands,
      };
      writeFileSync(join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o400, flag: 'wx' });
      freeze(staging);
      renameSync(staging, final);
      return describe(final, manifest, false);
    },
  });
  return { captureEvidence };
}

function formatCommand(argv: string[], result: { exitCode: number; stdout: string; stderr: string }): string {
  return `$ ${JSON.stringify(argv)}\n# exit code ${result.exitCode}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}\n`;
}

function readManifest(folder: string): Manifest {
  return JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as Manifest;
}

function describe(folder: string, manifest: Manifest, replayed: boolean) {
  const manifestSha256 = sha256(readFileSync(join(folder, 'manifest.json')));
  return {
    summary: `captured ${manifest.entries.length - manifest.commands.length} file(s) and ${manifest.commands.length} command output(s)${manifest.missing.length ? `, ${manifest.missing.length} missing` : ''} into ${folder}`,
    data: {
      folder,
      manifestSha256,
      files: manifest.entries.length,
      missing: manifest.missing,
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
