/**
 * One wrapper for every CLI command: parse its options with a zod schema, run it, and turn
 * any failure into one line that says what to fix, with the exit code of its kind.
 */
import { z } from 'zod';
import { formatIssues } from '../contract';
import { loadConfig } from '../common/config';
import { Problem } from '../common/errors';
import { connectClient } from '../client/temporal';

/** A client for the server the environment names: what most commands act through. */
export const envClient = () => connectClient(loadConfig());

export function action<S extends z.ZodType, A extends unknown[]>(schema: S, handler: (options: z.infer<S>, ...args: A) => Promise<void>) {
  return async (...raw: unknown[]): Promise<void> => {
    // commander passes positional arguments, then the options object, then the command.
    const positional = raw.slice(0, -2) as A;
    const options = raw.at(-2);
    try {
      const parsed = schema.safeParse(options);
      if (!parsed.success) throw new Problem('InvalidInput', `invalid option: ${formatIssues(parsed.error).join('; ')}`);
      await handler(parsed.data, ...positional);
    } catch (err) {
      fail(err);
    }
  };
}

export function fail(err: unknown): never {
  if (err instanceof Problem) {
    process.stderr.write(`tourniquet: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  process.stderr.write(`tourniquet: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}

export const print = (text: string): void => void process.stdout.write(`${text}\n`);
export const printJson = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
