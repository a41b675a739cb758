import { execa } from 'execa';
import type { CommandRunner } from './deps';

/** The real command runner: execa with an argument array, no shell, output captured. */
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
  if (result.failed && result.exitCode === undefined) {
    // Not an exit code: the program could not start, or was killed (timeout, cancellation).
    const reason = result.isCanceled ? 'cancelled' : result.timedOut ? 'timed out' : result.shortMessage;
    return { exitCode: -1, stdout: result.stdout ?? '', stderr: `${result.stderr ?? ''}${reason}`, durationMs: performance.now() - started };
  }
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr, durationMs: performance.now() - started };
};
