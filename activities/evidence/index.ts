/**
 * captureEvidence: copy files and capture service status, journald and log excerpts, git
 * state, container state and command output into the incident's private evidence folder,
 * with a SHA-256 manifest whose own hash goes into the workflow history.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ActivityDeps } from '../deps';
import { defineStep } from '../step';
import { Capture } from './capture';
import { evidenceFolder, publishEvidence } from './folder';
import { commandSources } from './sources';

export function evidenceActivities(deps: ActivityDeps) {
  const captureEvidence = defineStep(deps, 'captureEvidence', {
    plan: (args, key) => {
      const folder = evidenceFolder(deps.home, key.workflowId, key.stepId);
      return [
        ...args.files.map((f) => ({ kind: 'copy' as const, detail: `copy ${resolve(f)}${existsSync(f) ? '' : ' (missing now)'} with cp -a into ${folder}` })),
        ...args.services
          .filter((s) => s.manager.kind === 'process')
          .map((s) => ({ kind: 'copy' as const, detail: `read the status of ${s.service} from /proc` })),
        ...args.logs.map((l) => ({
          kind: 'copy' as const,
          detail: `copy the lines of ${resolve(l.path)} from ${l.since ?? 'the start'} to ${l.until ?? 'now'}, redacted`,
        })),
        ...commandSources(args, deps.now()).map((c) => ({
          kind: 'command' as const,
          detail: `run ${JSON.stringify(c.argv)} and save its output, redacted, as ${c.file}`,
        })),
        { kind: 'write' as const, detail: `write ${join(folder, 'manifest.json')} (SHA-256 of every file)` },
      ];
    },
    run: (io, args) =>
      publishEvidence(deps, io, async (staging) => {
        const capture = new Capture(deps, io, staging, Capture.known(deps, io, args.redactEnvFiles));
        for (const file of args.files) await capture.copy(file);
        for (const s of args.services) if (s.manager.kind === 'process') capture.processStatus(s.service, s.manager);
        for (const l of args.logs) capture.log(l.path, l.since, l.until);
        for (const source of commandSources(args, deps.now())) await capture.command(source);
        return capture.result;
      }),
  });
  return { captureEvidence };
}

export { verifyEvidence, evidenceRoot, readManifest } from './folder';
