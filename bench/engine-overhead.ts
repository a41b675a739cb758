/**
 * `npm run bench [-- --steps N[,M...]] [--json]`: what running a command as an incident step costs compared
 * with running it plainly. Prints figures; judges nothing.
 *
 * Engine: one incident of N `runCommand ['true']` steps, on a headless dev server started here
 * (own SQLite file, free port) and a worker in this process. A step's time is the gap between
 * consecutive step ends in the final progress, so it includes everything between two
 * activities: the workflow task, scheduling, the poll, the journal and the spawn itself.
 * Plain: the same N spawns through the worker's own command runner (execa), one after another,
 * and one bash loop of N forks of the `true` binary.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection } from '@temporalio/worker';
import { execa } from 'execa';
import { z } from 'zod';
import { execaRunner } from '../activities';
import { Problem } from '../common/errors';
import { parseIncident, startIncident } from '../client/incidents';
import { createLogger, installRuntimeLogger } from '../common/logger';
import { WORKFLOWS_PATH } from '../common/paths';
import { freePort } from '../common/probe';
import { startDevServer, type DevServer } from '../server/dev-server';
import { ensureTemporalCli } from '../server/temporal-cli';
import type { IncidentInputDraft, IncidentProgress } from '../contract';
import { createWorker } from '../worker/create';
import { createFloorWorker } from './floor/worker';
import { invocation, parseOptions, say } from './lib';

const optionsSchema = z.object({
  /** Incident sizes, one incident each on the same server: per-step cost may depend on length. */
  steps: z
    .string()
    .default('50,200')
    .transform((v) => v.split(',').map((x) => Number(x.trim())))
    .pipe(z.array(z.number().int().min(2, 'needs at least 2 steps to measure gaps between them').max(2_000)).min(1)),
  json: z.boolean().default(false),
});

function benchIncident(n: number): IncidentInputDraft {
  return {
    class: 'runaway-automation',
    severity: 'S3',
    title: `engine overhead benchmark: ${n} trivial commands`,
    steps: Array.from({ length: n }, (_, i) => ({ id: `cmd-${i + 1}`, action: 'runCommand' as const, args: { argv: ['true'] } })),
  };
}

interface Stats {
  count: number;
  median: number;
  p95: number;
  min: number;
  max: number;
}

/** Median (mean of the middle two for an even count) and nearest-rank p95. */
function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const mid = Math.floor(n / 2);
  const median = n % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { count: n, median, p95: sorted[Math.ceil(0.95 * n) - 1]!, min: sorted[0]!, max: sorted[n - 1]! };
}

interface EngineRun {
  wallMs: number;
  /** endedAt[i] - endedAt[i-1]; the first step is measured from the incident's start. */
  stepGapsMs: number[];
  final: IncidentProgress;
  historyEvents: number;
  /** The same gaps for Temporal's floor: a workflow of N no-op activities on the same server. */
  floorGapsMs: number[];
}

async function runEngine(server: DevServer, home: string, n: number, logger: ReturnType<typeof createLogger>): Promise<EngineRun> {
  // Built before the clock starts, with a silent logger, as the tests do: bundling is start-up cost.
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
  });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  try {
    const client = new Client({ connection });
    const taskQueue = `bench-${randomBytes(4).toString('hex')}`;
    const worker = await createWorker({ connection: nativeConnection, namespace: 'default', taskQueue, home, logger, workflowBundle });
    const floorWorker = await createFloorWorker(nativeConnection, `${taskQueue}-floor`);
    const floorGapsMs = await floorWorker.runUntil(async () => {
      const started = Date.now();
      const ends = await client.workflow.execute('floor', { taskQueue: `${taskQueue}-floor`, workflowId: `${taskQueue}-floor`, args: [n] });
      return (ends as number[]).map((end, i) => end - (i === 0 ? started : ends[i - 1]!));
    });
    return await worker.runUntil(async () => {
      const started = performance.now();
      const { handle } = await startIncident(client, parseIncident(benchIncident(n)), { taskQueue });
      const final = await handle.result();
      const wallMs = performance.now() - started;
      if (final.state !== 'resolved') throw new Error(`the benchmark incident ended ${final.state}`);
      const ends = final.steps.map((s) => Date.parse(s.endedAt ?? ''));
      if (ends.some(Number.isNaN)) throw new Error('a step has no endedAt in the final progress');
      const stepGapsMs = ends.map((end, i) => end - (i === 0 ? Date.parse(final.startedAt) : ends[i - 1]!));
      const history = await handle.fetchHistory();
      return { wallMs, stepGapsMs, final, historyEvents: history.events?.length ?? 0, floorGapsMs };
    });
  } finally {
    await connection.close();
    await nativeConnection.close();
  }
}

interface PlainRun {
  spawnMs: number[];
  spawnTotalMs: number;
  /** Time bash itself measured around its loop ($EPOCHREALTIME), without bash's own start. */
  loopMs: number;
  trueBinary: string;
}

async function runPlain(n: number): Promise<PlainRun> {
  const spawnMs: number[] = [];
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    // The worker's own runner, so both sides pay the same execa cost per spawn.
    const result = await execaRunner(['true']);
    if (result.exitCode !== 0) throw new Error(`true exited ${result.exitCode}: ${result.stderr}`);
    spawnMs.push(result.durationMs);
  }
  const spawnTotalMs = performance.now() - started;

  // `true` is a bash builtin: name the binary, or the loop forks nothing.
  const trueBinary = (await execa('bash', ['-c', 'type -P true'])).stdout.trim();
  const script = `s=$EPOCHREALTIME; for i in $(seq ${n}); do "${trueBinary}"; done; e=$EPOCHREALTIME; echo "$s $e"`;
  const [s, e] = (await execa('bash', ['-c', script])).stdout.trim().split(' ').map(Number);
  if (s === undefined || e === undefined || Number.isNaN(s) || Number.isNaN(e)) throw new Error('bash did not report $EPOCHREALTIME (needs bash 5)');
  return { spawnMs, spawnTotalMs, loopMs: (e - s) * 1000, trueBinary };
}

/** Peak resident set of a child process (Linux), for the server's share of the footprint. */
function peakRssKiB(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

const ms = (v: number) => `${v.toFixed(2)} ms`;
const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
const row = (label: string, value: string) => say(`  ${label.padEnd(38)} ${value}`);

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const { steps: sizes, json } = parseOptions(
    argv,
    { steps: { type: 'string' }, json: { type: 'boolean' } },
    optionsSchema,
    'npm run bench -- [--steps N[,M...]] [--json]',
  );
  const loadBefore = loadavg()[0]!;
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn', 'bench');
  installRuntimeLogger(logger);

  const cli = await ensureTemporalCli(logger);
  const dir = mkdtempSync(join(tmpdir(), 'tourniquet-bench-'));
  let server: DevServer | undefined;
  let ok = false;
  try {
    server = await startDevServer({
      cliPath: cli.path,
      dbFile: join(dir, 'db.sqlite'),
      port: await freePort(),
      uiPort: false,
      logFile: join(dir, 'temporal-server.log'),
      logger,
    });
    stopOnSignal(server, dir);
    const version = (await execa(cli.path, ['--version'], { reject: false })).stdout.trim() || 'version unknown';
    const summary: Record<string, number> = {};
    const floors: number[] = [];
    for (const n of sizes) {
      const engine = await runEngine(server, mkdtempSync(join(dir, 'home-')), n, logger);
      const serverPeak = peakRssKiB(server.pid);
      const plain = await runPlain(n);
      report(argv, n, `${cli.path} (${version})`, engine, plain, serverPeak, loadBefore);
      say();
      summary[`overheadMedianMs${n}`] = round(stats(engine.stepGapsMs).median - stats(plain.spawnMs).median);
      summary[`stepMedianMs${n}`] = stats(engine.stepGapsMs).median;
      floors.push(...engine.floorGapsMs);
    }
    summary.floorMedianMs = stats(floors).median;
    summary.load1m = round(loadavg()[0]!);
    if (json) say(JSON.stringify(summary));
    ok = true;
  } finally {
    await server?.stop();
    // Keep the server log when something went wrong: it is the first place to look.
    if (ok) rmSync(dir, { recursive: true, force: true });
    else process.stderr.write(`bench: server log and state kept in ${dir}\n`);
  }
}

/**
 * Ctrl-C or SIGTERM: stop the server and go. The SDK's own handler only drains the worker, and
 * while execa has a child running its signal-exit hook re-raises the signal once the SDK's
 * handler has removed itself, which would kill this process and leave the server running.
 */
function stopOnSignal(server: DevServer, dir: string): void {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => {
      process.stderr.write(`bench: ${signal}, stopping the Temporal dev server (state kept in ${dir})\n`);
      void server.stop().finally(() => process.exit(code));
    });
  }
}

const round = (v: number) => Math.round(v * 100) / 100;

function report(argv: string[], n: number, cli: string, engine: EngineRun, plain: PlainRun, serverPeakKiB: number | undefined, loadBefore: number): void {
  const e = stats(engine.stepGapsMs);
  const p = stats(plain.spawnMs);
  const cpu = cpus();
  say(`== tourniquet engine overhead: ${invocation('bench', 'bench/engine-overhead.ts', argv)} ==`);
  say(`  ${new Date().toISOString()}, node ${process.version}, ${cpu.length} x ${cpu[0]?.model.trim() ?? 'unknown CPU'}`);
  say(`  1-minute load ${loadBefore.toFixed(2)} at start, ${loadavg()[0]!.toFixed(2)} at the end`);
  say(`  Temporal dev server (headless, SQLite): ${cli}`);
  say('  worker and client in this process');
  say();
  row('steps (N)', String(n));
  say();
  say('engine: one incident of N runCommand ["true"] steps');
  row('total wall time', `${ms(engine.wallMs)} (startIncident to handle.result())`);
  row('workflow start to end', ms(Date.parse(engine.final.endedAt ?? '') - Date.parse(engine.final.startedAt)));
  row('per step, median', ms(e.median));
  row('per step, p95', ms(e.p95));
  row('per step, min / max', `${ms(e.min)} / ${ms(e.max)}`);
  // Whether a step costs the same at the end of a long incident as at its start.
  const quarter = Math.max(1, Math.floor(n / 4));
  const early = stats(engine.stepGapsMs.slice(1, quarter + 1));
  const late = stats(engine.stepGapsMs.slice(-quarter));
  row('per step, median of first / last 1/4', `${ms(early.median)} / ${ms(late.median)} (first step left out)`);
  row('workflow history', `${engine.historyEvents} events (${(engine.historyEvents / n).toFixed(1)} per step)`);
  say('  (per step = endedAt[i] - endedAt[i-1] from the final progress; workflow clock, 1 ms resolution)');
  say();
  say('plain: the same N commands without the engine');
  row('execa spawn of true, median', ms(p.median));
  row('execa spawn of true, p95', ms(p.p95));
  row('execa spawn of true, min / max', `${ms(p.min)} / ${ms(p.max)}`);
  row('execa, N spawns in sequence', ms(plain.spawnTotalMs));
  row(`bash loop of ${plain.trueBinary}, whole`, `${ms(plain.loopMs)} (${ms(plain.loopMs / n)} per command)`);
  say();
  const f = stats(engine.floorGapsMs);
  say("floor: Temporal's own, a workflow of N no-op activities on the same server (run first)");
  row('per step, median', ms(f.median));
  row('per step, p95', ms(f.p95));
  say();
  say('overhead per step (engine minus plain execa)');
  row('median', ms(e.median - p.median));
  row('p95', ms(e.p95 - p.p95));
  say();
  row('peak RSS, benchmark process', `${mib(process.resourceUsage().maxRSS)} (worker and client included)`);
  row('peak RSS, Temporal dev server', serverPeakKiB === undefined ? 'unknown (no /proc)' : `${mib(serverPeakKiB)} (VmHWM, read after the incident)`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof Problem ? err.exitCode : 1);
  },
);
