/**
 * What the benchmarks share: options parsed by a zod schema with a usage line, a dev server of
 * their own (own SQLite file, free port, headless) kept with its log when a run fails,
 * percentiles, and process memory. Each benchmark prints figures and judges nothing.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { Problem } from '../common/errors';
import { createLogger, installRuntimeLogger } from '../common/logger';
import { freePort } from '../common/probe';
import { formatIssues } from '../contract';
import { startDevServer, type DevServer } from '../server/dev-server';
import { ensureTemporalCli } from '../server/temporal-cli';

export const say = (line = '') => process.stdout.write(`${line}\n`);

/** Parse `argv` with node's parser, then the schema; a bad option says the usage. */
export function parseOptions<S extends z.ZodType>(argv: string[], options: ParseArgsConfig['options'], schema: S, usage: string): z.infer<S> {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true }));
  } catch (err) {
    throw new Problem('InvalidInput', `${(err as Error).message} (usage: ${usage})`);
  }
  const parsed = schema.safeParse(values);
  if (!parsed.success) throw new Problem('InvalidInput', `invalid option: ${formatIssues(parsed.error).join('; ')}`);
  return parsed.data;
}

/** The command line that produced a report, as the reader would type it again. */
export function invocation(script: string, file: string, argv: string[]): string {
  const args = argv.join(' ');
  if (process.env.npm_lifecycle_event === script) return `npm run ${script}${args ? ` -- ${args}` : ''}`;
  return `tsx ${file}${args ? ` ${args}` : ''}`;
}

/** Nearest-rank percentile (`p` from 0 to 1). */
export function pct(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

export const round = (v: number) => Math.round(v * 10) / 10;

/** The 1-minute load average: every figure is read beside it. */
export const load1m = () => round(loadavg()[0]!);

/** CPU time (user + system) a process has used so far, in ms (from /proc; 10 ms ticks). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may hold spaces: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * The worker's command helper (activities/runner): the child of `workerPid` running helper.js.
 * Commands fork from it, so the fork's cost is its CPU, not the worker's: a worker's figure
 * counts both.
 */
export function commandHelperPid(workerPid: number): number | undefined {
  for (const tid of readdirSync(`/proc/${workerPid}/task`)) {
    for (const child of readFileSync(`/proc/${workerPid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean)) {
      try {
        if (readFileSync(`/proc/${child}/cmdline`, 'utf8').includes('runner/helper.js')) return Number(child);
      } catch {
        // gone meanwhile
      }
    }
  }
  return undefined;
}

/** Resident memory of a process, in MiB (from /proc). */
export function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  const kib = Number(line?.match(/(\d+)/)?.[1]);
  if (!Number.isFinite(kib)) throw new Error(`no VmRSS for pid ${pid}`);
  return round(kib / 1024);
}

export interface BenchEnv {
  /** Scratch folder: the database, the server's log, homes. Removed after a run that succeeded. */
  dir: string;
  server: DevServer;
  logger: Logger;
  /** The Temporal CLI the server runs from. */
  temporalCli: string;
}

/**
 * Run `body` against a dev server of its own. The scratch folder is removed after a run that
 * succeeded and kept (and named on stderr) after one that failed.
 */
export async function withBenchServer<T>(name: string, body: (env: BenchEnv) => Promise<T>, o: { dbDir?: string } = {}): Promise<T> {
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn', 'bench');
  installRuntimeLogger(logger);
  const cli = await ensureTemporalCli(logger);
  const dir = mkdtempSync(join(tmpdir(), `tourniquet-bench-${name}-`));
  // The database may live elsewhere (tmpfs, say); it goes with the run either way.
  const dbDir = o.dbDir ? mkdtempSync(join(o.dbDir, `tourniquet-bench-${name}-db-`)) : dir;
  let server: DevServer | undefined;
  let ok = false;
  try {
    server = await startDevServer({
      cliPath: cli.path,
      dbFile: join(dbDir, 'db.sqlite'),
      port: await freePort(),
      uiPort: false,
      logFile: join(dir, 'temporal-server.log'),
      logger,
    });
    const result = await body({ dir, server, logger, temporalCli: cli.path });
    ok = true;
    return result;
  } finally {
    await server?.stop();
    if (dbDir !== dir) rmSync(dbDir, { recursive: true, force: true });
    if (ok) rmSync(dir, { recursive: true, force: true });
    else process.stderr.write(`bench: server log and state kept in ${dir}\n`);
  }
}

/** Run a benchmark's main: exit 0, or say why it failed with the exit code of its problem. */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(err instanceof Problem ? err.exitCode : 1);
    },
  );
}
