/**
 * `npm run bench:cli [-- --runs N --json]`: how long an operator waits for a `tourniquet`
 * command, beside the Temporal CLI's own `temporal workflow list` against the same server in
 * the same run. Prints figures (or, with `--json`, one JSON summary with the ratios); judges
 * nothing.
 *
 * Everything on loopback: a headless Temporal dev server of its own (bench/lib.ts), a worker
 * in this process (it answers the `status` query), and one incident held at an approval gate.
 * Each command is a fresh process, as the operator starts it, run N times after one unmeasured
 * warm-up; a run's time is from spawn to exit, measured here. Also timed: `tourniquet list`
 * against a port where nothing listens, which must report ServerUnreachable (exit 5).
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { execa } from 'execa';
import { z } from 'zod';
import { parseIncident, startIncident, getProgress } from '../client/incidents';
import { PROBLEM_KINDS } from '../common/errors';
import { PROJECT_ROOT } from '../common/paths';
import type { IncidentInputDraft } from '../contract';
import { freePort } from '../common/probe';
import { createWorker } from '../worker/create';
import { parseOptions, runBench, say, withBenchServer } from './lib';

const optionsSchema = z.object({
  runs: z.coerce.number().int().min(1).max(200).default(10),
  json: z.boolean().default(false),
});

const BIN = join(PROJECT_ROOT, 'bin', 'tourniquet.js');

const HELD: IncidentInputDraft = {
  class: 'runaway-automation',
  severity: 'S3',
  title: 'CLI latency benchmark: an incident held at an approval gate',
  steps: [{ id: 'hold', action: 'runCommand', approval: { required: true }, args: { argv: ['true'] } }],
};

interface Stats {
  median: number;
  min: number;
  max: number;
}

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)! };
}

interface Measured extends Stats {
  command: string;
  samplesMs: number[];
  exitCode: number;
}

/** Spawn `argv` once unmeasured, then `runs` times measured; every run must end with `expectExit`. */
async function measure(label: string, file: string, args: string[], env: NodeJS.ProcessEnv, runs: number, expectExit = 0): Promise<Measured> {
  const once = async () => {
    const started = performance.now();
    const r = await execa(file, args, { env, reject: false, stdin: 'ignore' });
    const ms = performance.now() - started;
    if (r.exitCode !== expectExit) throw new Error(`${label} exited ${r.exitCode}, expected ${expectExit}: ${r.stderr || r.stdout}`);
    return { ms, stderr: r.stderr };
  };
  await once();
  const samplesMs: number[] = [];
  for (let i = 0; i < runs; i++) samplesMs.push((await once()).ms);
  return { command: label, samplesMs, exitCode: expectExit, ...stats(samplesMs) };
}

/** Whether bin/tourniquet.js runs the compiled CLI or falls back to the sources (it says so on stderr). */
async function cliMode(env: NodeJS.ProcessEnv): Promise<'compiled' | 'sources'> {
  const r = await execa(process.execPath, [BIN, '--version'], { env, reject: false });
  return /running from the TypeScript sources/.test(r.stderr) ? 'sources' : 'compiled';
}

async function main(): Promise<void> {
  const o = parseOptions(
    process.argv.slice(2),
    { runs: { type: 'string' }, json: { type: 'boolean' } },
    optionsSchema,
    'npm run bench:cli -- [--runs N] [--json]',
  );
  await withBenchServer('cli', async ({ dir, server, logger, temporalCli }) => {
    const temporal = { path: temporalCli };
    const address = server.address;
    const nativeConnection = await NativeConnection.connect({ address });
    const connection = await Connection.connect({ address });
    const client = new Client({ connection });
    const taskQueue = `bench-cli-${randomBytes(4).toString('hex')}`;
    const worker = await createWorker({ connection: nativeConnection, namespace: 'default', taskQueue, home: join(dir, 'home'), logger });
    try {
      const results = await worker.runUntil(async () => {
        const { id } = await startIncident(client, parseIncident(HELD), { taskQueue });
        await getProgress(client, id); // the worker answers: `status` measures the CLI, not a cold worker
        const env = { ...process.env, TEMPORAL_ADDRESS: address, TOURNIQUET_TASK_QUEUE: taskQueue, LOG_LEVEL: 'silent' };
        const mode = await cliMode(env);
        const node = process.execPath;
        const measured = [
          await measure('tourniquet --version', node, [BIN, '--version'], env, o.runs),
          await measure('tourniquet list', node, [BIN, 'list'], env, o.runs),
          await measure(`tourniquet status <id>`, node, [BIN, 'status', id], env, o.runs),
          await measure(
            'temporal workflow list',
            temporal.path,
            ['workflow', 'list', '--address', address, '--namespace', 'default', '--limit', '20'],
            env,
            o.runs,
          ),
        ];
        const deadPort = await freePort();
        const unreachable = await measure(
          'tourniquet list (nothing listening)',
          node,
          [BIN, 'list'],
          { ...env, TEMPORAL_ADDRESS: `127.0.0.1:${deadPort}` },
          Math.min(o.runs, 3),
          PROBLEM_KINDS.ServerUnreachable,
        );
        // A source edited while the bench ran would have sent later runs through tsx.
        if ((await cliMode(env)) !== mode) throw new Error('the compiled CLI went stale during the run (a source changed): run `npm run build` and again');
        return { mode, measured, unreachable };
      });
      const baseline = results.measured.at(-1)!.median;
      const summary = {
        node: process.version,
        cpus: cpus().length,
        /** The machine's 1-minute load average when the figures were taken: every figure is wall time. */
        loadAverage: round(loadavg()[0]!),
        runs: o.runs,
        cli: results.mode,
        commands: results.measured.map((m) => ({
          command: m.command,
          medianMs: round(m.median),
          minMs: round(m.min),
          maxMs: round(m.max),
          ratioToTemporal: round(m.median / baseline),
        })),
        unreachable: {
          command: results.unreachable.command,
          exitCode: results.unreachable.exitCode,
          medianMs: round(results.unreachable.median),
          maxMs: round(results.unreachable.max),
        },
      };
      if (o.json) say(JSON.stringify(summary, null, 2));
      else report(summary, `${temporal.path}`);
    } finally {
      await connection.close();
      await nativeConnection.close();
    }
  });
}

const round = (v: number) => Math.round(v * 10) / 10;

interface Summary {
  node: string;
  cpus: number;
  loadAverage: number;
  runs: number;
  cli: string;
  commands: { command: string; medianMs: number; minMs: number; maxMs: number; ratioToTemporal: number }[];
  unreachable: { command: string; exitCode: number; medianMs: number; maxMs: number };
}

function report(s: Summary, temporalPath: string): void {
  say(`== tourniquet CLI latency: ${s.runs} runs each, after one warm-up ==`);
  say(
    `  ${new Date().toISOString()}, node ${s.node}, ${s.cpus} CPUs (load average ${s.loadAverage}); bin/tourniquet.js runs the ${s.cli === 'compiled' ? 'compiled CLI (dist/cli.js)' : 'TypeScript sources through tsx'}`,
  );
  say(`  Temporal dev server (headless, SQLite) and the Temporal CLI: ${temporalPath}`);
  say();
  say(`  ${'command'.padEnd(38)} ${'median'.padStart(9)} ${'min'.padStart(9)} ${'max'.padStart(9)}  × temporal`);
  for (const c of s.commands) say(`  ${c.command.padEnd(38)} ${ms(c.medianMs)} ${ms(c.minMs)} ${ms(c.maxMs)}  ${c.ratioToTemporal.toFixed(2)}`);
  say();
  say(`  ${s.unreachable.command.padEnd(38)} ${ms(s.unreachable.medianMs)} (max ${s.unreachable.maxMs} ms), exit ${s.unreachable.exitCode} ServerUnreachable`);
}

const ms = (v: number) => `${v.toFixed(1)} ms`.padStart(9);

runBench(main);
