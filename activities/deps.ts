/**
 * What the activities need from the outside world. The worker builds the real ones once;
 * tests build their own, checked by the compiler against this type.
 */
import type { Logger } from 'pino';

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface RunOptions {
  cwd?: string;
  /** Written to the program's standard input (otherwise it gets none). */
  input?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Variables added to the worker's environment for this command. */
  env?: Record<string, string>;
}

/** Runs a program from an argument array. Never a shell. Never throws on a non-zero exit. */
export type CommandRunner = (argv: readonly string[], options?: RunOptions) => Promise<CommandResult>;

export interface ActivityDeps {
  run: CommandRunner;
  logger: Logger;
  /** State folder: incidents, evidence, snapshots, the idempotency journal. */
  home: string;
  fetch: typeof fetch;
  /** Random bytes for new secrets; injected so tests can check the shape of what is made. */
  randomBytes: (size: number) => Buffer;
  /** The approver store `verifyApprover` reads; default `approvers.json` in `home`. */
  approversFile?: string;
  /** The wall clock, for time windows ("the last 2 hours") and records; injected so tests pin it. */
  now: () => Date;
}
