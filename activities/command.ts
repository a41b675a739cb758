/**
 * runCommand: one program from an argument array, with the exit code the step expects.
 *
 * Idempotency: a command's effect is unknown to us, so the journal marks it running before it
 * starts. A retry after an attempt that died mid-command (worker killed) or before it recorded
 * the command's success refuses, unless the step says the command is safe to repeat; a retry
 * after a clean non-zero exit runs it again.
 */
import type { ActivityDeps } from './deps';
import { StepError } from './errors';
import { defineStep, withHeartbeat } from './step';

export function commandActivities(deps: ActivityDeps) {
  const runCommand = defineStep(deps, 'runCommand', {
    plan: (args) => [
      { kind: 'command', detail: `run ${JSON.stringify(args.argv)}${args.cwd ? ` in ${args.cwd}` : ''} and expect exit code ${args.expectExitCode}` },
    ],
    run: async (io, args) => {
      const earlier = io.pending?.record as { running?: boolean } | undefined;
      if (earlier?.running && !args.rerunIfInterrupted) {
        throw new StepError(
          'UnsafeActionRefused',
          `an earlier attempt of this step started ${JSON.stringify(args.argv)} and did not report back; its effect is unknown. Check, then rerun it in a new step (or set rerunIfInterrupted for commands safe to repeat)`,
        );
      }
      io.markPending({ running: true });
      const result = await withHeartbeat(io, deps.run(args.argv, { ...(args.cwd ? { cwd: args.cwd } : {}), signal: io.signal }));
      if (result.exitCode !== args.expectExitCode) {
        // Only a failure needs this record (its retry may run the command again); a success
        // goes straight to `done`, one durable write fewer per step.
        io.markPending({ running: false, exitCode: result.exitCode });
        throw new StepError(
          'CommandFailed',
          `${args.argv[0]} exited ${result.exitCode} (expected ${args.expectExitCode}): ${result.stderr.trim().slice(-300)}`,
        );
      }
      const undo = args.undo ? { action: 'runCommand' as const, args: { argv: args.undo.argv, ...(args.undo.cwd ? { cwd: args.undo.cwd } : {}) } } : null;
      // Output is not returned: it may hold secrets, and history is not the place for it.
      return { summary: `${args.argv[0]} exited ${result.exitCode}`, data: { exitCode: result.exitCode, ms: Math.round(result.durationMs), undo } };
    },
  });
  return { runCommand };
}
