/** runCommand: one program from an argument array, with the exit code the step expects. */
import type { ActivityDeps } from './deps';
import { StepError } from './errors';
import { defineStep, withHeartbeat } from './step';

export function commandActivities(deps: ActivityDeps) {
  const runCommand = defineStep(deps, 'runCommand', {
    plan: (args) => [{ kind: 'command', detail: `run ${JSON.stringify(args.argv)}${args.cwd ? ` in ${args.cwd}` : ''} and expect exit code ${args.expectExitCode}` }],
    run: async (io, args) => {
      const result = await withHeartbeat(io, deps.run(args.argv, { ...(args.cwd ? { cwd: args.cwd } : {}), signal: io.signal }));
      if (result.exitCode !== args.expectExitCode) {
        throw new StepError('CommandFailed', `${args.argv[0]} exited ${result.exitCode} (expected ${args.expectExitCode}): ${result.stderr.trim().slice(-300)}`);
      }
      // Output is not returned: it may hold secrets, and history is not the place for it.
      return { summary: `${args.argv[0]} exited ${result.exitCode}`, data: { exitCode: result.exitCode, ms: Math.round(result.durationMs) } };
    },
  });
  return { runCommand };
}
