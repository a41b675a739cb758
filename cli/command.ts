/**
 * One wrapper for every CLI command: parse its options with a zod schema, run it, and turn
 * any failure into one line that says what to fix, with the exit code of its kind.
 */
import { z } from 'zod';
// The contract's parts without Temporal's libraries or the schemas: the CLI starts light.
import { formatIssues } from '../contract/issues';
import { Problem } from '../common/errors';
import type { Client } from '@temporalio/client';
import type { LeanClient } from '../client/lean';
import { loadConfig, type Config } from '../common/config';
import { assertReachable } from '../client/reachable';

/**
 * What every command handler gets besides its options: the output mode, and the config and
 * client, each made once and only when the command needs them.
 */
export interface CommandContext {
  /** `--json` was given: results and errors go out as JSON. */
  json: boolean;
  config(): Config;
  client(): Promise<Client>;
  /**
   * The lean read-only client for `list` and `status` (client/lean/): undefined when the build
   * left no schema for it, and every answer it cannot give is undefined too: then `client()`.
   */
  lean(): Promise<LeanClient | undefined>;
}

function commandContext(json: boolean): CommandContext {
  let config: Config | undefined;
  let client: Promise<Client> | undefined;
  let lean: Promise<LeanClient | undefined> | undefined;
  const ctx: CommandContext = {
    json,
    config: () => (config ??= loadConfig()),
    // The TCP probe answers for a stopped server before the client library has even loaded.
    client: () =>
      (client ??= assertReachable(ctx.config().server)
        .then(() => import('../client/temporal'))
        .then(({ connectClient }) => connectClient(ctx.config()))),
    lean: () =>
      (lean ??= assertReachable(ctx.config().server)
        .then(() => import('../client/lean'))
        .then(({ openLeanClient }) => openLeanClient(ctx.config().server))),
  };
  return ctx;
}

export function action<S extends z.ZodType, A extends unknown[]>(schema: S, handler: (ctx: CommandContext, options: z.infer<S>, ...args: A) => Promise<void>) {
  return async (...raw: unknown[]): Promise<void> => {
    // commander passes positional arguments, then the options object, then the command.
    const positional = raw.slice(0, -2) as A;
    const options = raw.at(-2) as Record<string, unknown> | undefined;
    const ctx = commandContext(options?.json === true);
    try {
      const parsed = schema.safeParse(options);
      if (!parsed.success) throw new Problem('InvalidInput', `invalid option: ${formatIssues(parsed.error).join('; ')}`);
      await handler(ctx, parsed.data, ...positional);
    } catch (err) {
      fail(err, ctx.json);
    }
  };
}

/** Report a failure and exit with its kind's code: one line on stderr, or a JSON object on stdout under `--json`. */
export function fail(err: unknown, json = false): never {
  const known = err instanceof Problem;
  if (json) {
    printJson({
      error: { kind: known ? err.kind : 'Unexpected', message: err instanceof Error ? err.message : String(err), exitCode: known ? err.exitCode : 1 },
    });
  } else if (known) {
    process.stderr.write(`tourniquet: ${err.message}\n`);
  } else {
    process.stderr.write(`tourniquet: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exit(known ? err.exitCode : 1);
}

export const print = (text: string): void => void process.stdout.write(`${text}\n`);
export const printJson = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
