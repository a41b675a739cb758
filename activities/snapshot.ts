/**
 * snapshotDisk (directory adapter): archive a directory as it is now into the incident's
 * snapshot folder. The snapshot id is derived from the incident run and step, so a retry
 * finds the archive an earlier attempt published instead of making a second one.
 */
import { existsSync, mkdirSync, realpathSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ActivityDeps } from './deps';
import { StepError } from './errors';
import { sha256, sha256File } from './hash';
import { incidentDir } from './journal';
import { defineStep, withHeartbeat } from './step';

export interface SnapshotData {
  snapshotId: string;
  target: string;
  archive: string;
  sha256: string;
  bytes: number;
}

export function snapshotActivities(deps: ActivityDeps) {
  const snapshotDisk = defineStep(deps, 'snapshotDisk', {
    plan: (args) => {
      if (!existsSync(args.target)) throw new StepError('TargetNotFound', `snapshot target ${args.target} does not exist`);
      return [{ kind: 'command', detail: `run ${JSON.stringify(['tar', '--create', '--gzip', '--file', '<incident snapshot folder>/snap-<id>.tar.gz', '--directory', args.target, '.'])}` }];
    },
    run: async (io, args) => {
      let target: string;
      try {
        target = realpathSync(args.target);
      } catch {
        throw new StepError('TargetNotFound', `snapshot target ${args.target} does not exist`);
      }
      if (!statSync(target).isDirectory()) throw new StepError('InvalidArguments', `snapshot target ${target} is not a directory`);
      const snapshotId = `snap-${sha256(`${io.key.workflowId}/${io.key.runId}/${io.key.stepId}`).slice(0, 12)}`;
      const dir = join(incidentDir(deps.home, io.key.workflowId), 'snapshots');
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const archive = join(dir, `${snapshotId}.tar.gz`);
      if (!existsSync(archive)) {
        const partial = `${archive}.partial-${Date.now()}`;
        const result = await withHeartbeat(io, deps.run(['tar', '--create', '--gzip', '--file', partial, '--directory', target, '.'], { signal: io.signal }));
        if (result.exitCode !== 0) throw new StepError('CommandFailed', `tar exited ${result.exitCode}: ${result.stderr.trim()}`);
        renameSync(partial, archive);
      }
      const data: SnapshotData = { snapshotId, target, archive, sha256: await sha256File(archive), bytes: statSync(archive).size };
      return { summary: `snapshot ${snapshotId} of ${target} (${data.bytes} bytes)`, data: { ...data } };
    },
  });
  return { snapshotDisk };
}
