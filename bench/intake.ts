/**
 * `npm run bench:intake [-- --alerts N --fingerprints M --concurrency C --db-dir DIR]`: how fast the alert
 * intake takes deliveries and turns them into incidents. Prints figures and checks the
 * invariants (incidents = M, duplicates = 0, lost = 0); exits non-zero when one fails.
 *
 * Everything on loopback, in this process but the server: a headless Temporal dev server (own
 * SQLite file, free port; on tmpfs, /dev/shm, when there is one, so the figures are the
 * engine's and not the disk's fsync latency: `--db-dir` puts it elsewhere), a worker, the
 * intake (generic endpoint, bearer token), and a client
 * posting N generic alerts over M dedup keys in a shuffled order, C at a time. Each incident's
 * template runs a trivial `runCommand ['true']` in phase contain, then holds at an approval gate
 * so that every later delivery finds it running.
 *
 * - deliveries/s: N / the time from the first POST to the last answer.
 * - incidents created: workflow runs of the incident type on the server; duplicates: runs beyond
 *   one per key; lost: deliveries not answered 202 or not found in their incident's timeline.
 * - POST to containment: from the first POST of a key to its incident's `contain` step ending
 *   (the step's endedAt, workflow clock, 1 ms resolution; same machine, same clock).
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection } from '@temporalio/worker';
import { z } from 'zod';
import { CliError } from '../common/errors';
import { getProgress } from '../common/incidents';
import { createLogger, installRuntimeLogger } from '../common/logger';
import { WORKFLOWS_PATH } from '../common/paths';
import { freePort } from '../demo/sandbox';
import { loadIntakeConfig, startIntake, type Answer, type RunningIntake } from '../intake';
import { startDevServer, type DevServer } from '../server/dev-server';
import { ensureTemporalCli } from '../server/temporal-cli';
import { formatIssues, WORKFLOW_TYPE, type IncidentProgress } from '../workflows/contract';
import { createWorker } from '../worker/create';

const optionsSchema = z
  .object({
    alerts: z.coerce.number().int().min(1).max(100_000).default(10_000),
    fingerprints: z.coerce.number().int().min(1).max(10_000).default(1_000),
    concurrency: z.coerce.number().int().min(1).max(512).default(64),
    'db-dir': z.string().min(1).optional(),
  })
  .refine((o) => o.fingerprints <= o.alerts, 'needs at least one alert per fingerprint');
type Options = z.infer<typeof optionsSchema>;

const say = (line = '') => process.stdout.write(`${line}\n`);

function parseOptions(argv: string[]): Options {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: argv, options: { alerts: { type: 'string' }, fingerprints: { type: 'string' }, concurrency: { type: 'string' }, 'db-dir': { type: 'string' } }, strict: true }));
  } catch (err) {
    throw new CliError('InvalidInput', `${(err as Error).message} (usage: npm run bench:intake -- --alerts N --fingerprints M --concurrency C --db-dir DIR)`);
  }
  const parsed = optionsSchema.safeParse(values);
  if (!parsed.success) throw new CliError('InvalidInput', `invalid option: ${formatIssues(parsed.error).join('; ')}`);
  return parsed.data;
}

function invocation(argv: string[]): string {
  const args = argv.join(' ');
  if (process.env.npm_lifecycle_event === 'bench:intake') return `npm run bench:intake${args ? ` -- ${args}` : ''}`;
  return `tsx bench/intake.ts${args ? ` ${args}` : ''}`;
}

/** tmpfs when the machine has one: the figures should be the engine's, not the disk's fsync. */
function defaultDbDir(): string {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

const TEMPLATE = `class: runaway-automation
severity: S3
title: from the alert
steps:
  - { id: contain, action: runCommand, phase: contain, args: { argv: ["true"] } }
  - { id: hold, action: runCommand, approval: { required: true }, args: { argv: ["true"] } }
`;
const ROUTES = 'routes:\n  - { name: bench, sources: [generic], match: { labels.alertname: Bench }, playbook: bench, severity: S3 }\n';

/** Deterministic shuffle (mulberry32), so runs post in the same order. */
function shuffled<T>(items: T[], seed = 6): T[] {
  let a = seed;
  const random = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Nearest-rank percentile. */
function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((x, y) => x - y);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface PostRun {
  wallMs: number;
  /** Epoch ms of the first POST of each fingerprint. */
  firstPostAt: Map<number, number>;
  incidentOf: Map<number, string>;
  /** Deliveries answered 202 per fingerprint: what its timeline must hold. */
  accepted: Map<number, number>;
  rttMs: number[];
  retries: number;
  failures: Map<string, number>;
  outcomes: Map<string, number>;
}

const TRIES = 5;

async function post(intake: RunningIntake, token: string, o: Options, tag: string): Promise<PostRun> {
  const order = shuffled(Array.from({ length: o.alerts }, (_, i) => i % o.fingerprints));
  const run: PostRun = { wallMs: 0, firstPostAt: new Map(), incidentOf: new Map(), accepted: new Map(), rttMs: [], retries: 0, failures: new Map(), outcomes: new Map() };
  const bump = <K>(m: Map<K, number>, k: K) => m.set(k, (m.get(k) ?? 0) + 1);
  const once = async (f: number, i: number): Promise<{ retry: boolean; problem?: string }> => {
    const t0 = performance.now();
    try {
      const res = await fetch(`${intake.url}/alerts/generic`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ dedupKey: `bench-${tag}-${f}`, summary: `bench alert ${f}, delivery ${i}`, labels: { alertname: 'Bench' } }),
      });
      const answer = (await res.json()) as Answer | { error: { kind: string } };
      run.rttMs.push(performance.now() - t0);
      if (res.status === 202 && 'matched' in answer && answer.matched) {
        bump(run.outcomes, answer.outcome);
        bump(run.accepted, f);
        run.incidentOf.set(f, answer.incidentId);
        return { retry: false };
      }
      return { retry: res.status >= 500 || res.status === 429, problem: 'error' in answer ? answer.error.kind : `HTTP ${res.status}` };
    } catch (err) {
      return { retry: true, problem: (err as Error).message };
    }
  };
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    for (let i = next++; i < order.length; i = next++) {
      const f = order[i]!;
      if (!run.firstPostAt.has(f)) run.firstPostAt.set(f, Date.now());
      for (let attempt = 1; ; attempt++) {
        const r = await once(f, i);
        if (!r.problem) break;
        if (!r.retry || attempt === TRIES) {
          bump(run.failures, r.problem);
          break;
        }
        run.retries++;
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** (attempt - 1)));
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, lane));
  run.wallMs = performance.now() - started;
  return run;
}

/** Progress of every incident once `done` holds for all of them (queries, bounded concurrency). */
async function settle(client: Client, ids: string[], done: (p: IncidentProgress) => boolean, timeoutMs: number): Promise<Map<string, IncidentProgress>> {
  const settled = new Map<string, IncidentProgress>();
  const deadline = Date.now() + timeoutMs;
  while (settled.size < ids.length) {
    const pending = ids.filter((id) => !settled.has(id));
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let i = next++; i < pending.length; i = next++) {
          const p = await getProgress(client, pending[i]!).catch(() => undefined);
          if (p && done(p)) settled.set(p.incidentId, p);
        }
      }),
    );
    if (settled.size < ids.length) {
      if (Date.now() > deadline) throw new Error(`${ids.length - settled.size} incidents did not settle within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  return settled;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const o = parseOptions(argv);
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn', 'bench');
  installRuntimeLogger(logger);

  const cli = await ensureTemporalCli(logger);
  const dir = mkdtempSync(join(tmpdir(), 'tourniquet-bench-intake-'));
  const dbDir = mkdtempSync(join(o['db-dir'] ?? defaultDbDir(), 'tourniquet-bench-intake-db-'));
  let server: DevServer | undefined;
  let ok = false;
  let failed = false;
  try {
    server = await startDevServer({ cliPath: cli.path, dbFile: join(dbDir, 'db.sqlite'), port: await freePort(), uiPort: false, logFile: join(dir, 'temporal-server.log'), logger });
    stopOnSignal(server, dir);
    mkdirSync(join(dir, 'templates'));
    writeFileSync(join(dir, 'templates', 'bench.yaml'), TEMPLATE);
    writeFileSync(join(dir, 'routes.yaml'), ROUTES);

    const workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } });
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });
    const taskQueue = `bench-intake-${randomBytes(4).toString('hex')}`;
    const worker = await createWorker({ connection: nativeConnection, namespace: 'default', taskQueue, home: join(dir, 'home'), logger, workflowBundle });
    const running = worker.run();
    const token = randomBytes(24).toString('hex');
    const intake = await startIntake({
      config: loadIntakeConfig({ TOURNIQUET_INTAKE_GENERIC_TOKEN: token }, { port: 0, routes: join(dir, 'routes.yaml') }),
      client,
      taskQueue,
      logger,
    });
    try {
      const tag = randomBytes(3).toString('hex');
      const run = await post(intake, token, o, tag);
      const ids = [...new Set(run.incidentOf.values())];
      const expected = new Map<string, number>();
      for (const [f, id] of run.incidentOf) expected.set(id, run.accepted.get(f) ?? 0);
      const alertsIn = (p: IncidentProgress) => p.timeline.filter((e) => e.kind === 'alert').length;
      // Every incident has run its containment step and recorded every delivery answered 202.
      const progress = await settle(client, ids, (p) => p.steps[0]?.status === 'succeeded' && alertsIn(p) >= (expected.get(p.incidentId) ?? 0), 300_000).catch(
        async (err: Error) => {
          say(`  (${err.message}; counting what arrived)`);
          return settle(client, ids, () => true, 60_000);
        },
      );

      const runs: string[] = [];
      for await (const wf of client.workflow.list({ query: `WorkflowType = '${WORKFLOW_TYPE}'` })) runs.push(wf.workflowId);
      let missing = 0;
      let twice = 0;
      let recorded = 0;
      for (const id of ids) {
        const got = progress.get(id) ? alertsIn(progress.get(id)!) : 0;
        recorded += got;
        missing += Math.max(0, expected.get(id)! - got);
        twice += Math.max(0, got - expected.get(id)!);
      }
      const failedPosts = [...run.failures.values()].reduce((a, b) => a + b, 0);
      const containMs: number[] = [];
      for (const [f, id] of run.incidentOf) {
        const step = progress.get(id)?.steps.find((x) => x.id === 'contain');
        if (step?.endedAt) containMs.push(Date.parse(step.endedAt) - run.firstPostAt.get(f)!);
      }
      const incidents = runs.length;
      // One id per key by construction (a hash of the key), so a duplicate is a second run of an id.
      const duplicates = incidents - new Set(runs).size;
      const lost = failedPosts + missing;
      failed = incidents !== o.fingerprints || duplicates !== 0 || lost !== 0;
      report(argv, o, `${cli.path}, database in ${dbDir.startsWith('/dev/shm') ? '/dev/shm (tmpfs)' : dbDir}`, run, { incidents, duplicates, lost, recorded, twice, missing, containMs, failedPosts });
    } finally {
      await intake.close();
      worker.shutdown();
      await running;
      await connection.close();
      await nativeConnection.close();
    }
    ok = true;
  } finally {
    await server?.stop();
    rmSync(dbDir, { recursive: true, force: true });
    if (ok) rmSync(dir, { recursive: true, force: true });
    else process.stderr.write(`bench: server log and state kept in ${dir}\n`);
  }
  if (failed) process.exitCode = 1;
}

function stopOnSignal(server: DevServer, dir: string): void {
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      process.stderr.write(`bench: ${signal}, stopping the Temporal dev server (state kept in ${dir})\n`);
      void server.stop().finally(() => process.exit(code));
    });
  }
}

interface Counts {
  incidents: number;
  duplicates: number;
  lost: number;
  recorded: number;
  twice: number;
  missing: number;
  containMs: number[];
  failedPosts: number;
}

function report(argv: string[], o: Options, cli: string, run: PostRun, c: Counts): void {
  const cpu = cpus();
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const row = (label: string, value: string) => say(`  ${label.padEnd(40)} ${value}`);
  const verdict = (good: boolean) => (good ? 'ok' : 'FAILED');
  say(`== tourniquet alert intake: ${invocation(argv)} ==`);
  say(`  ${new Date().toISOString()}, node ${process.version}, ${cpu.length} x ${cpu[0]?.model.trim() ?? 'unknown CPU'}`);
  say(`  Temporal dev server (headless, SQLite): ${cli}; worker, intake and poster in this process, loopback only`);
  say();
  row('alerts posted (N)', String(o.alerts));
  row('fingerprints (M)', String(o.fingerprints));
  row('concurrent posters', String(o.concurrency));
  say();
  row('posting wall time', ms(run.wallMs));
  row('deliveries/second', (o.alerts / (run.wallMs / 1000)).toFixed(0));
  row('POST round trip p50 / p99', `${ms(percentile(run.rttMs, 50))} / ${ms(percentile(run.rttMs, 99))}`);
  row('answers by outcome', [...run.outcomes].map(([k, v]) => `${k} ${v}`).join(', ') || 'none');
  row('retries (503 or no connection)', String(run.retries));
  if (run.failures.size) row('deliveries failed after retries', [...run.failures].map(([k, v]) => `${k} ${v}`).join(', '));
  say();
  row('incidents created (must equal M)', `${c.incidents} ${verdict(c.incidents === o.fingerprints)}`);
  row('duplicates (must be 0)', `${c.duplicates} ${verdict(c.duplicates === 0)}`);
  row('lost deliveries (must be 0)', `${c.lost} ${verdict(c.lost === 0)} (${c.failedPosts} never answered 202, ${c.missing} answered but not in a timeline)`);
  row('alert events in timelines', `${c.recorded} (${c.twice} recorded twice: a 503 whose call landed, then the retry)`);
  say();
  if (c.containMs.length) {
    row('POST to containment step done, p50', ms(percentile(c.containMs, 50)));
    row('POST to containment step done, p99', ms(percentile(c.containMs, 99)));
    row('POST to containment step done, max', ms(Math.max(...c.containMs)));
  }
  say('  (first POST of a key to its incident\'s `contain` step endedAt; runCommand ["true"])');
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof CliError ? err.exitCode : 1);
  },
);
