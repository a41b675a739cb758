import { execa } from 'execa';
import type { CommandResult, CommandRunner } from '../deps';

/** What an execa result says, whichever process ran it (here, or the command helper). */
export interface ExecaOutcome {
  exitCode?: number | undefined;
  stdout?: string | undefined;
  stderr?: string | undefined;
  failed: boolean;
  timedOut: boolean;
  isCanceled: boolean;
  shortMessage?: string | undefined;
}

export function commandResult(r: ExecaOutcome, durationMs: number): CommandResult {
  if (r.failed && r.exitCode === undefined) {
    // Not an exit code: the program could not start, or was killed (timeout, cancellation).
    const reason = r.isCanceled ? 'cancelled' : r.timedOut ? 'timed out' : (r.shortMessage ?? 'failed');
    return { exitCode: -1, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${reason}`, durationMs };
  }
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '', durationMs };
}

/**
 * execa in this process, with an argument array, no shell, output captured. The worker runs its
 * commands through the command helper instead (index.ts), which runs them the same way.
 */
export const execaRunner: CommandRunner = async (argv, options = {}) => {
  const [program, ...args] = argv;
  if (!program) throw new Error('empty command');
  const started = performance.now();
  const result = await execa(program, args, {
    reject: false,
    shell: false,
    ...(options.input !== undefined ? { input: options.input } : { stdin: 'ignore' as const }),
    // execa's cleanup hook re-raises SIGTERM after the Temporal runtime's handler has removed
    // itself, killing the worker instead of letting it drain. Children are stopped through
    // `cancelSignal` when the SDK cancels the activity, so the hook is not needed.
    cleanup: false,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
    ...(options.signal ? { cancelSignal: options.signal } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
  return commandResult(result, performance.now() - started);
};
