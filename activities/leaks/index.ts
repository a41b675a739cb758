/**
 * scanLeaks: look through paths, the tracked files of git repositories (tracked `.env`-like
 * files are findings themselves) and this incident's captured evidence, for known token
 * formats and for the old values of credentials this incident rotated (by fingerprint).
 * Reports file, line and rule; never the secret.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { ActivityDeps } from '../deps';
import { StepError } from '../errors';
import { evidenceRoot } from '../evidence/folder';
import { incidentDir, safeName } from '../journal';
import { defineStep, withHeartbeat, type StepIO } from '../step';
import { findSecrets, positionOf } from '../../common/secrets/detect';
import { rotatedFingerprints } from './known';

export interface Finding {
  file: string;
  line: number;
  column: number;
  rule: string;
  fingerprint: string;
}

/** Bigger files are listed as skipped: a leak scan should not read a disk image into memory. */
const MAX_FILE_BYTES = 5 * 1024 * 1024;
/** Findings listed in the workflow history; the report file has them all. */
const HISTORY_FINDINGS = 50;

/** `.env`, `prod.env`, `.env.local`, `secrets.yaml`, `credentials.json`; not `.env.example`. */
export function isEnvLike(path: string): boolean {
  const name = basename(path).toLowerCase();
  if (/\.(example|sample|template|dist)$/.test(name)) return false;
  return /^\.env(\..+)?$|\.env$|^secrets?\.|^credentials?\.|\.pem$|^id_(rsa|ed25519|ecdsa)$/.test(name);
}

function walk(root: string, out: string[], skipped: string[]): void {
  const st = lstatSync(root, { throwIfNoEntry: false });
  if (!st) return;
  if (st.isFile()) {
    if (st.size > MAX_FILE_BYTES) skipped.push(root);
    else out.push(root);
  } else if (st.isDirectory()) {
    for (const name of readdirSync(root).sort()) if (name !== '.git') walk(join(root, name), out, skipped);
  }
}

export function scanFile(file: string, fingerprints: ReadonlySet<string>): Finding[] | 'binary' {
  const bytes = readFileSync(file);
  if (bytes.subarray(0, 8192).includes(0)) return 'binary';
  const text = bytes.toString('utf8');
  return findSecrets(text, { fingerprints }).map((s) => ({ file, ...positionOf(text, s.start), rule: s.rule, fingerprint: s.fingerprint }));
}

async function trackedFiles(deps: ActivityDeps, io: StepIO, repo: string): Promise<string[]> {
  const result = await withHeartbeat(io, deps.run(['git', '-C', repo, 'ls-files', '-z'], { signal: io.signal }));
  if (result.exitCode !== 0) throw new StepError('TargetNotFound', `${repo} is not a git repository: ${result.stderr.trim().slice(0, 200)}`);
  return result.stdout
    .split('\0')
    .filter(Boolean)
    .map((f) => join(resolve(repo), f));
}

export function leakActivities(deps: ActivityDeps) {
  const scanLeaks = defineStep(deps, 'scanLeaks', {
    plan: (args, key) => [
      ...args.paths.map((p) => ({ kind: 'command' as const, detail: `read every file under ${resolve(p)}${existsSync(p) ? '' : ' (missing now)'}` })),
      ...args.repos.map((r) => ({ kind: 'command' as const, detail: `run ${JSON.stringify(['git', '-C', r, 'ls-files', '-z'])} and read every tracked file` })),
      ...(args.evidence ? [{ kind: 'command' as const, detail: `read this incident's evidence under ${evidenceRoot(deps.home, key.workflowId)}` }] : []),
      {
        kind: 'write',
        detail: `write the findings (file, line, rule, fingerprint; never the value) to ${join(incidentDir(deps.home, key.workflowId), 'scans', `${safeName(key.stepId)}.json`)}`,
      },
    ],
    run: async (io, args) => {
      const rotated = rotatedFingerprints(io.journal, io.key.workflowId).old;
      const fingerprints = new Set([...args.fingerprints, ...rotated]);
      const files: string[] = [];
      const skipped: string[] = [];
      const findings: Finding[] = [];
      for (const p of args.paths) walk(resolve(p), files, skipped);
      for (const repo of args.repos) {
        for (const file of await trackedFiles(deps, io, repo)) {
          if (isEnvLike(file)) findings.push({ file, line: 0, column: 0, rule: 'tracked-env-file', fingerprint: '' });
          walk(file, files, skipped);
        }
      }
      if (args.evidence) walk(evidenceRoot(deps.home, io.key.workflowId), files, skipped);
      let binary = 0;
      for (const [i, file] of [...new Set(files)].entries()) {
        if (i % 200 === 0) io.heartbeat({ scanned: i });
        io.signal.throwIfAborted();
        if (basename(file) === 'manifest.json') continue;
        const found = scanFile(file, fingerprints);
        if (found === 'binary') binary++;
        else findings.push(...found);
      }
      const reportDir = join(incidentDir(deps.home, io.key.workflowId), 'scans');
      mkdirSync(reportDir, { recursive: true, mode: 0o700 });
      const report = join(reportDir, `${safeName(io.key.stepId)}.json`);
      writeFileSync(
        report,
        `${JSON.stringify({ scannedAt: deps.now().toISOString(), fingerprints: [...fingerprints], files: files.length, skipped, findings }, null, 2)}\n`,
        { mode: 0o600 },
      );
      const oldValueHits = findings.filter((f) => f.rule === 'fingerprint').length;
      const summary = `${findings.length} finding(s) in ${new Set(findings.map((f) => f.file)).size} of ${files.length} file(s)${oldValueHits ? `, ${oldValueHits} of a rotated credential's old value` : ''}`;
      if (args.failOnFinding && findings.length) throw new StepError('VerificationFailed', `${summary}; report: ${report}`);
      return {
        summary,
        data: {
          files: files.length,
          binary,
          skipped: skipped.length,
          findings: findings.length,
          oldValueHits,
          report,
          fingerprints: [...fingerprints],
          first: findings.slice(0, HISTORY_FINDINGS),
        },
      };
    },
  });
  return { scanLeaks };
}
