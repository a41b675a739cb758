/**
 * `npm run bench [-- --steps N[,M...]] [--json]`: what running a command as an incident step costs compared
 * with running it plainly. Prints figures; judges nothing.
 *
 * Engine: incidents of N `runCommand ['true']` steps on a headless dev server of the benchmark's
 * own (bench/lib.ts) and a worker in this process, two of each size:
 * - freeze: the steps stand in the freeze phase with a 30 s start-to-close, so they run as local
 *   activities (`local` in the catalogue, `runsLocally` in workflows/presets.ts): how a
 *   playbook's freeze runs;
 * - activity: the same steps in their default phase, each a server round trip: every later step.
 * A step's time is the gap between consecutive step ends in the final progress (the worker's
 * clock when the activity returned), so it includes everything between two activities: the
 * workflow task, scheduling, the poll, the journal and the spawn itself.
 * Plain: the same N spawns through the worker's own command runner (its command helper), one
 * after another; the same through execa in this process (how commands ran before the helper);
 * and one bash loop of N forks of the `true` binary.
 * Floor: Temporal's own, a workflow of N no-op activities on the same server, same run.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection } from '@temporalio/worker';
import { execa } from 'execa';
import { z } from 'zod';
import type { Logger } from 'pino';
import { execaRunner, helperRunner } from '../activities';
import { parseIncident, startIncident } from '../client/incidents';
import { WORKFLOWS_PATH } from '../common/paths';
import type { DevServer } from '../server/dev-server';
import type { IncidentInputDraft, IncidentProgress } from '../contract';
import { createWorker } from '../worker/create';
import { createFloorWorker } from './floor/worker';
import { invocation, parseOptions, runBench, say, withBenchServer } from './lib';

const optionsSchema = z.object({
  /** Incident sizes, one incident each on the same server: per-step cost may depend on length. */
  steps: z
    .string()
    .default('50,200')
    .transform((v) => v.split(',').map((x) => Number(x.trim())))
    .pipe(z.array(z.number().int().min(2, 'needs at least 2 steps to measure gaps between them').max(2_000)).min(1)),
  json: z.boolean().default(false),
});

type Variant = 'freeze' | 'activity';

function benchIncident(n: number, variant: Variant): IncidentInputDraft {
  // A freeze step says what it stops (rule 1); the target is a name only, nothing reads it.
  const freeze = { phase: 'freeze' as const, timeouts: { startToClose: '30s' }, effects: { freezes: ['bench-agent'] } };
  return {
    class: 'runaway-automation',
    severity: 'S3',
    title: `engine overhead benchmark: ${n} trivial commands (${variant})`,
    steps: Array.from({ length: n }, (_, i) => ({
      id: `cmd-${i + 1}`,
      action: 'runCommand' as const,
      args: { argv: ['true'] },
      ...(variant === 'freeze' ? freeze : {}),
    })),
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

interface IncidentRun {
  wallMs: number;
  /** endedAt[i] - endedAt[i-1]; the first step is measured from the incident's start. */
  stepGapsMs: number[];
  final: IncidentProgress;
  historyEvents: number;
}

interface EngineRun {
  freeze: IncidentRun;
  activity: IncidentRun;
  /** The same gaps for Temporal's floor: a workflow of N no-op activities on the same server. */
  floorGapsMs: number[];
}

async function runEngine(server: DevServer, home: string, n: number, logger: Logger): Promise<EngineRun> {
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
    const one = async (variant: Variant): Promise<IncidentRun> => {
      const started = performance.now();
      const { handle } = await startIncident(client, parseIncident(benchIncident(n, variant)), { taskQueue });
      const final = await handle.result();
      const wallMs = performance.now() - started;
      if (final.state !== 'resolved') throw new Error(`the ${variant} benchmark incident ended ${final.state}`);
      const ends = final.steps.map((s) => Date.parse(s.endedAt ?? ''));
      if (ends.some(Number.isNaN)) throw new Error('a step has no endedAt in the final progress');
      const stepGapsMs = ends.map((end, i) => end - (i === 0 ? Date.parse(final.startedAt) : ends[i - 1]!));
      const history = await handle.fetchHistory();
      const events = history.events ?? [];
      // Proof of which path the steps took: local activities leave markers, not scheduled tasks.
      const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes).length;
      if (variant === 'freeze' && scheduled > 0) throw new Error(`the freeze incident scheduled ${scheduled} activities: its steps did not run locally`);
      if (variant === 'activity' && scheduled < n) throw new Error(`the activity incident scheduled ${scheduled} activities for ${n} steps`);
      return { wallMs, stepGapsMs, final, historyEvents: events.length };
    };
    return await worker.runUntil(async () => ({ freeze: await one('freeze'), activity: await one('activity'), floorGapsMs }));
  } finally {
    await connection.close();
    await nativeConnection.close();
  }
}

interface PlainRun {
  /** Through the worker's runner (the command helper). */
  spawnMs: number[];
  /** Through execa in this process. */
  inProcessMs: number[];
  spawnTotalMs: number;
  /** Time bash itself measured around its loop ($EPOCHREALTIME), without bash's own start. */
  loopMs: number;
  trueBinary: string;
}

async function runPlain(n: number): Promise<PlainRun> {
  const spawnMs: number[] = [];
  const inProcessMs: number[] = [];
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    // The worker's own runner, so both sides pay the same cost per spawn.
    const result = await helperRunner(['true']);
    if (result.exitCode !== 0) throw new Error(`true exited ${result.exitCode}: ${result.stderr}`);
    spawnMs.push(result.durationMs);
  }
  const spawnTotalMs = performance.now() - started;
  for (let i = 0; i < n; i++) inProcessMs.push((await execaRunner(['true'])).durationMs);

  // `true` is a bash builtin: name the binary, or the loop forks nothing.
  const trueBinary = (await execa('bash', ['-c', 'type -P true'])).stdout.trim();
  const script = `s=$EPOCHREALTIME; for i in $(seq ${n}); do "${trueBinary}"; done; e=$EPOCHREALTIME; echo "$s $e"`;
  const [s, e] = (await execa('bash', ['-c', script])).stdout.trim().split(' ').map(Number);
  if (s === undefined || e === undefined || Number.isNaN(s) || Number.isNaN(e)) throw new Error('bash did not report $EPOCHREALTIME (needs bash 5)');
  return { spawnMs, inProcessMs, spawnTotalMs, loopMs: (e - s) * 1000, trueBinary };
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
const round = (v: number) => Math.round(v * 100) / 100;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const { steps: sizes, json } = parseOptions(
    argv,
    { steps: { type: 'string' }, json: { type: 'boolean' } },
    optionsSchema,
    'npm run bench -- [--steps N[,M...]] [--json]',
  );
  const loadBefore = loadavg()[0]!;
  await withBenchServer('engine', async ({ dir, server, logger, temporalCli }) => {
    const version = (await execa(temporalCli, ['--version'], { reject: false })).stdout.trim() || 'version unknown';
    const summary: Record<string, number> = {};
    const floors: number[] = [];
    for (const n of sizes) {
      const engine = await runEngine(server, mkdtempSync(join(dir, 'home-')), n, logger);
      const serverPeak = peakRssKiB(server.pid);
      const plain = await runPlain(n);
      report(argv, n, `${temporalCli} (${version})`, engine, plain, serverPeak, loadBefore);
      say();
      const spawn = stats(plain.spawnMs).median;
      summary[`overheadMedianMs${n}`] = round(stats(engine.freeze.stepGapsMs).median - spawn);
      summary[`stepMedianMs${n}`] = stats(engine.freeze.stepGapsMs).median;
      summary[`activityOverheadMedianMs${n}`] = round(stats(engine.activity.stepGapsMs).median - spawn);
      floors.push(...engine.floorGapsMs);
    }
    summary.floorMedianMs = stats(floors).median;
    summary.load1m = round(loadavg()[0]!);
    if (json) say(JSON.stringify(summary));
  });
}

function reportIncident(title: string, n: number, run: IncidentRun, plain: PlainRun): void {
  const e = stats(run.stepGapsMs);
  const p = stats(plain.spawnMs);
  say(title);
  row('total wall time', `${ms(run.wallMs)} (startIncident to handle.result())`);
  row('workflow start to end', ms(Date.parse(run.final.endedAt ?? '') - Date.parse(run.final.startedAt)));
  row('per step, median', ms(e.median));
  row('per step, p95', ms(e.p95));
  row('per step, min / max', `${ms(e.min)} / ${ms(e.max)}`);
  // Whether a step costs the same at the end of a long incident as at its start.
  const quarter = Math.max(1, Math.floor(n / 4));
  const early = stats(run.stepGapsMs.slice(1, quarter + 1));
  const late = stats(run.stepGapsMs.slice(-quarter));
  row('per step, median of first / last 1/4', `${ms(early.median)} / ${ms(late.median)} (first step left out)`);
  row('workflow history', `${run.historyEvents} events (${(run.historyEvents / n).toFixed(1)} per step)`);
  row('overhead per step (minus plain spawn)', `median ${ms(e.median - p.median)}, p95 ${ms(e.p95 - p.p95)}`);
  say();
}

function report(argv: string[], n: number, cli: string, engine: EngineRun, plain: PlainRun, serverPeakKiB: number | undefined, loadBefore: number): void {
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
  reportIncident('engine, freeze: one incident of N runCommand ["true"] freeze steps (local activities)', n, engine.freeze, plain);
  reportIncident('engine, activity: one incident of N runCommand ["true"] steps (an activity each)', n, engine.activity, plain);
  say('  (per step = endedAt[i] - endedAt[i-1] from the final progress: when each activity returned, 1 ms resolution)');
  say();
  say('plain: the same N commands without the engine');
  const inProcess = stats(plain.inProcessMs);
  row('spawn of true (command helper), median', ms(p.median));
  row('spawn of true (command helper), p95', ms(p.p95));
  row('spawn of true, min / max', `${ms(p.min)} / ${ms(p.max)}`);
  row('N spawns in sequence', ms(plain.spawnTotalMs));
  row('execa in this process, median / p95', `${ms(inProcess.median)} / ${ms(inProcess.p95)} (RSS ${mib(process.memoryUsage().rss / 1024)})`);
  row(`bash loop of ${plain.trueBinary}, whole`, `${ms(plain.loopMs)} (${ms(plain.loopMs / n)} per command)`);
  say();
  const f = stats(engine.floorGapsMs);
  say("floor: Temporal's own, a workflow of N no-op activities on the same server (run first)");
  row('per step, median', ms(f.median));
  row('per step, p95', ms(f.p95));
  say();
  row('peak RSS, benchmark process', `${mib(process.resourceUsage().maxRSS)} (worker and client included)`);
  row('peak RSS, Temporal dev server', serverPeakKiB === undefined ? 'unknown (no /proc)' : `${mib(serverPeakKiB)} (VmHWM, read after the incident)`);
}

runBench(main);
