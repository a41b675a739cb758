/**
 * restoreBackup: replace a directory with a known-good tree from a tar archive, a restic
 * snapshot or another folder, verified before it goes in.
 *
 * Refused unless this incident already snapshotted the directory's current state (the
 * runbook's "do not restore over evidence"). The replaced directory is moved aside into the
 * incident folder, never deleted; restoring from there is the undo.
 */
import { existsSync, mkdirSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { ActivityDeps } from '../deps';
import { StepError } from '../errors';
import { incidentDir, safeName, type Journal, type StepKey } from '../journal';
import type { SnapshotData } from '../snapshot';
import { defineStep } from '../step';
import { fillStaging, restoreCommands, sourceOf } from './methods';

/** The snapshot this incident took of `target` (or of a folder holding it). */
function snapshotCovering(journal: Journal, workflowId: string, target: string): SnapshotData | undefined {
  return journal
    .all(workflowId)
    .filter((e) => e.action === 'snapshotDisk' && e.state === 'done')
    .map((e) => e.result?.data as unknown as SnapshotData)
    .find((s) => s?.target !== undefined && (s.target === target || target.startsWith(s.target + sep)));
}

/**
 * Where the replaced tree goes: the incident folder, or, when that is on another file system
 * (a rename cannot cross one, and a copy of a large tree is not a quick move), a hidden folder
 * beside the target.
 */
function paths(deps: ActivityDeps, key: StepKey, target: string) {
  const asides = [
    join(incidentDir(deps.home, key.workflowId), 'replaced', safeName(key.stepId)),
    join(dirname(target), `.${basename(target)}.replaced-${safeName(key.stepId)}`),
  ];
  return {
    asides,
    aside: asides.find((a) => existsSync(a)) ?? asides[0]!,
    staging: join(dirname(target), `.${basename(target)}.restore-${safeName(key.stepId)}`),
  };
}

/** Move the target aside; returns where it went. */
function moveAside(target: string, asides: string[]): string {
  const [primary, beside] = asides as [string, string];
  mkdirSync(dirname(primary), { recursive: true, mode: 0o700 });
  if (!existsSync(target)) {
    mkdirSync(primary, { mode: 0o700 });
    return primary;
  }
  try {
    renameSync(target, primary);
    return primary;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    renameSync(target, beside);
    return beside;
  }
}

export function restoreActivities(deps: ActivityDeps) {
  const restoreBackup = defineStep(deps, 'restoreBackup', {
    plan: (args, key) => {
      if (args.method === 'archive' && !existsSync(args.archive)) throw new StepError('TargetNotFound', `backup archive ${args.archive} does not exist`);
      if (args.method === 'copy' && !existsSync(args.source)) throw new StepError('TargetNotFound', `restore source ${args.source} does not exist`);
      const { aside, staging } = paths(deps, key, resolve(args.target));
      return [
        ...restoreCommands(args, staging).map((argv) => ({ kind: 'command' as const, detail: `run ${JSON.stringify(argv)}` })),
        { kind: 'move', detail: `move ${args.target} aside to ${aside}` },
        { kind: 'move', detail: `move the verified tree into ${args.target} (refused at run time unless this incident snapshotted ${args.target} first)` },
      ];
    },
    run: async (io, args) => {
      const target = existsSync(args.target) ? realpathSync(args.target) : resolve(args.target);
      const snapshot = snapshotCovering(io.journal, io.key.workflowId, target);
      if (!snapshot) {
        throw new StepError(
          'UnsafeActionRefused',
          `restore of ${target} refused: this incident has no snapshot of its current state. Add a snapshotDisk step with target ${target} before this step.`,
        );
      }
      const where = paths(deps, io.key, target);
      const { asides, staging } = where;
      let aside = where.aside;
      let verified = 'verified by an earlier attempt';
      // A crash between the two renames below leaves the old tree aside and the new one staged:
      // finish the swap instead of starting over.
      if (!asides.some((a) => existsSync(a))) {
        io.markPending({ target, staging, asides });
        // The staging folder holds only what an earlier attempt of this step extracted: not evidence.
        rmSync(staging, { recursive: true, force: true });
        verified = await fillStaging(deps, io, args, staging);
        aside = moveAside(target, asides);
      }
      if (existsSync(staging)) renameSync(staging, target);
      return {
        summary: `restored ${target} from ${sourceOf(args)} (${verified}); the replaced tree is kept at ${aside}`,
        data: {
          target,
          method: args.method,
          source: sourceOf(args),
          ...(args.method === 'archive' ? { archive: args.archive } : {}),
          snapshotId: snapshot.snapshotId,
          verified,
          movedAsideTo: aside,
          undo: { action: 'restoreBackup', args: { method: 'copy', target, source: aside } },
        },
      };
    },
  });
  return { restoreBackup };
}
