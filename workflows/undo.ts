/**
 * What undoes a step's change, for the saga a cancelled incident runs (newest change first).
 *
 * A step's result may say it itself: `data.undo` is `{action, args}` or `null` (nothing to
 * undo). Otherwise the engine's own mapping applies: `startService` undoes `stopService` (from
 * the stop's own record), `stopService` undoes a `startService` that started the process,
 * restoring the incident's snapshot undoes `restoreBackup`; captures, snapshots and the note
 * change nothing; a rotated key cannot be un-rotated. Pure: the workflow imports it.
 */
import type { IncidentProgress, Step, StepProgress } from '../contract';
import { ACTIONS, type ActionName } from '../contract/catalogue';

export type UndoPlan =
  /** Run this step to undo the change. */
  | { kind: 'run'; step: Step }
  /** The step changed nothing that needs undoing. */
  | { kind: 'none' }
  /** The step changed something that cannot be undone; `why` goes into the timeline. */
  | { kind: 'impossible'; why: string };

/** The id of the undo step of `id`: its own journal key, so undo and step never share one. */
export function undoId(id: string): string {
  return `undo-${id}`.slice(0, 63);
}

/**
 * The undo of one step. `result` is the step's result data (absent for a step that was running
 * when the incident was cancelled: it may have acted, and every undo here is safe to run when
 * it did not); `progress` gives the results of earlier steps (the snapshot a restore replaced).
 */
export function undoFor(step: Step, result: Record<string, unknown> | undefined, progress: IncidentProgress): UndoPlan {
  if (result && 'undo' in result) return reported(step, result.undo);
  if (ACTIONS[step.action].undo === 'nothing') return { kind: 'none' };
  switch (step.action) {
    case 'stopService':
      if (result?.wasRunning === false) return { kind: 'none' };
      return build(step, 'startService', { service: step.args.service, manager: step.args.manager });
    case 'startService':
      if (result?.startedByThisStep === false) return { kind: 'none' };
      return build(step, 'stopService', { service: step.args.service, manager: step.args.manager });
    case 'restoreBackup': {
      const archive = snapshotArchive(progress.steps, result, step.args.target);
      if (!archive)
        return {
          kind: 'impossible',
          why: `no snapshot of ${step.args.target} taken by this incident: restore it by hand from the folder the replaced tree was moved to`,
        };
      return build(step, 'restoreBackup', { method: 'archive', target: step.args.target, archive });
    }
    case 'rotateKey': {
      const what =
        step.args.method === 'http-revoke'
          ? `the credential revoked at ${step.args.url}`
          : // Arguments are defaulted by the input check; incidents older than a field lack it on replay.
            `${step.args.key} in ${[step.args.envFile, ...(step.args.envFiles ?? [])].filter(Boolean).join(', ')}`;
      return {
        kind: 'impossible',
        why: `${what} was rotated and cannot be un-rotated: the leaked value stays dead by design (restore it from your vault only if you must)`,
      };
    }
    default:
      return { kind: 'impossible', why: `${step.action} reported no undo: check by hand what it changed` };
  }
}

function reported(step: Step, undo: unknown): UndoPlan {
  if (undo === null) return { kind: 'none' };
  const spec = undo as { action?: unknown; args?: unknown } | undefined;
  if (!spec || typeof spec.action !== 'string') return { kind: 'impossible', why: `${step.action} reported an undo this engine cannot read` };
  return build(step, spec.action, spec.args ?? {});
}

/**
 * The undo step. Its arguments are checked where every step's are, by the activity against its
 * action's schema (a bad one fails the undo with the reason); here only that the action exists
 * and runs as an activity, so zod stays out of the workflow.
 */
function build(step: Step, action: string, args: unknown): UndoPlan {
  const known = Object.hasOwn(ACTIONS, action) && ACTIONS[action as ActionName].runsIn === 'activity';
  const object = typeof args === 'object' && args !== null && !Array.isArray(args);
  if (!known || !object) {
    const why = !known ? `no action "${action}" runs as an activity` : 'its arguments are not an object';
    return { kind: 'impossible', why: `the undo of ${step.id} (${action}) is not an action this engine can run: ${why}` };
  }
  const undo = { id: undoId(step.id), action, args, summary: `undo ${step.id}: ${action}`, retry: { maximumAttempts: 3 }, onFailure: 'abort' };
  return { kind: 'run', step: undo as Step };
}

/** The archive of the snapshot a restore replaced: by the restore's snapshot id, else by target. */
function snapshotArchive(steps: StepProgress[], result: Record<string, unknown> | undefined, target: string): string | undefined {
  const snapshots = steps.filter((s) => s.action === 'snapshotDisk' && s.status === 'succeeded' && typeof s.result?.archive === 'string');
  const byId = result?.snapshotId ? snapshots.find((s) => s.result?.snapshotId === result.snapshotId) : undefined;
  const targets = new Set([target, result?.target].filter((t): t is string => typeof t === 'string'));
  const byTarget = snapshots.filter((s) => targets.has(String(s.result?.target))).at(-1);
  return (byId ?? byTarget)?.result?.archive as string | undefined;
}
