/**
 * restoreBackup (archive adapter): replace a directory with the content of an archive.
 *
 * Refused unless this incident already snapshotted the directory's current state (the
 * runbook's "do not restore over evidence"). The replaced directory is moved aside into the
 * incident folder, never deleted.
 */
import { existsSync, mkdirSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { ActivityDeps } from './deps';
import { StepError } from './errors';
import { incidentDir, safeName } from './journal';
import type { SnapshotData } from './snapshot';
import { defineStep, withHeartbeat } from './step';

export function restoreActivities(deps: ActivityDeps) {
  const restoreBackup = defineStep(deps, 'restoreBackup', {
    plan: (args, key) => {
      if (!existsSync(args.archive)) throw new StepError('TargetNotFound', `backup archive ${args.archive} does not exist`);
      return [
        { kind: 'command', detail: `run ${JSON.stringify(['tar', '--extract', '--gzip', '--file', args.archive, '--directory', `<staging next to ${args.target}>`])}` },
        { kind: 'move', detail: `move ${args.target} aside to ${join(incidentDir(deps.home, key.workflowId), 'replaced', safeName(key.stepId))}` },
        { kind: 'move', detail: `move the extracted tree into ${args.target} (refused at run time unless this incident snapshotted ${args.target} first)` },
      ];
    },
    run: async (io, args) => {
      const target = existsSync(args.target) ? realpathSync(args.target) : resolve(args.target);
      const snapshot = io.journal
        .all(io.key.workflowId)
        .filter((e) => e.action === 'snapshotDisk' && e.state === 'done')
        .map((e) => e.result?.data as unknown as SnapshotData)
        .find((s) => s?.target === target);
      if (!snapshot) {
        throw new StepError(
          'UnsafeActionRefused',
          `restore of ${target} refused: this incident has no snapshot of its current state. Add a snapshotDisk step with target ${target} before this step.`,
        );
      }
      if (!existsSync(args.archive)) throw new StepError('TargetNotFound', `backup archive ${args.archive} does not exist`);

      const aside = join(incidentDir(deps.home, io.key.workflowId), 'replaced', safeName(io.key.stepId));
      const staging = join(dirname(target), `.${basename(target)}.restore-${safeName(io.key.stepId)}`);
      // A crash between the two renames below leaves the old tree aside and the new one staged:
      // finish the swap instead of starting over.
      if (!existsSync(aside)) {
        // The staging folder holds only what an earlier attempt of this step extracted: not evidence.
        rmSync(staging, { recursive: true, force: true });
        mkdirSync(staging, { recursive: true, mode: 0o700 });
        const result = await withHeartbeat(io, deps.run(['tar', '--extract', '--gzip', '--file', args.archive, '--directory', staging], { signal: io.signal }));
        if (result.exitCode !== 0) throw new StepError('CommandFailed', `tar exited ${result.exitCode}: ${result.stderr.trim()}`);
        mkdirSync(dirname(aside), { recursive: true, mode: 0o700 });
        if (existsSync(target)) renameSync(target, aside);
        else mkdirSync(aside, { mode: 0o700 });
      }
      if (existsSync(staging)) renameSync(staging, target);
      return {
        summary: `restored ${target} from ${args.archive}; the replaced tree is kept at ${aside}`,
        data: { target, archive: args.archive, snapshotId: snapshot.snapshotId, movedAsideTo: aside },
      };
    },
  });
  return { restoreBackup };
}
