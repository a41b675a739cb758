/**
 * `npm run bench:intake [-- --alerts N --fingerprints M --concurrency C --db-dir DIR --baseline B]`: how fast the alert
 * intake takes deliveries and turns them into incidents. Prints figures and checks the
 * invariants (incidents = M, duplicates = 0, lost = 0); exits non-zero when one fails.
 *
 * With TEMPORAL_ADDRESS set (and TEMPORAL_NAMESPACE, TLS or API key settings as for any
 * command), it targets that server instead, e.g. a cluster from `tourniquet cluster up`; it
 * counts only the incidents of its own task queue there.
 *
 * Otherwise everything on loopback: a headless Temporal dev server (own SQLite file, free port; on tmpfs,
 * /dev/shm, when there is one, so the figures are the engine's and not the disk's fsync latency:
 * `--db-dir` puts it elsewhere), a `tourniquet worker` process as in production, and in this
 * process the intake (generic endpoint, bearer token) and a client
 * posting N generic alerts over M dedup keys in a shuffled order, C at a time. Each incident's
 * template runs a trivial `runCommand ['true']` in phase contain, then holds at an approval gate
 * so that every later delivery finds it running.
 *
 * - deliveries/s: N / the time from the first POST to the last answer.
 * - incidents created: workflow runs of the incident type on the server; duplicates: runs beyond
 *   one per key; lost: deliveries not answered 202 or not found in their incident's timeline.
 * - POST to containment: from the first POST of a key to its incident's `contain` step ending
 *   (the step's endedAt, workflow clock, 1 ms resolution; same machine, same clock). Under the
 *   flood this includes the wait behind every other delivery's workflow task; the baseline,
 *   B alerts for new keys posted one at a time after the flood is counted, is the same figure
 *   without that queue.
 */
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../common/config';
import { connectClient } from '../client/temporal';
import { z } from 'zod';
import { Problem } from '../common/errors';
import { getProgress } from '../client/incidents';
import { createLogger, installRuntimeLogger } from '../common/logger';
import { PROJECT_ROOT } from '../common/paths';
import { freePort } from '../common/probe';
import { loadIntakeConfig, startIntake, type Answer, type RunningIntake } from '../intake';
import { startDevServer, type DevServer } from '../server/dev-server';
import { ensureTemporalCli } from '../server/temporal-cli';
import { WORKFLOW_TYPE, type IncidentProgress } from '../contract';
import { invocation, parseOptions, pct, say } from './lib';

const optionsSchema = z
  .object({
    alerts: z.coerce.number().int().min(1).max(100_000).default(10_000),
    fingerprints: z.coerce.number().int().min(1).max(10_000).default(1_000),
    concurrency: z.coerce.number().int().min(1).max(512).default(64),
    'db-dir': z.string().min(1).optional(),
    /** Alerts posted one at a time after the flood, each waited for: the latency without a queue. */
    baseline: z.coerce.number().int().min(0).max(200).default(20),
  })
  .refine((o) => o.fingerprints <= o.alerts, 'needs at least one alert per fingerprint');
type Options = z.infer<typeof optionsSchema>;

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
  const run: PostRun = {
    wallMs: 0,
    firstPostAt: new Map(),
    incidentOf: new Map(),
    accepted: new Map(),
    rttMs: [],
    retries: 0,
    failures: new Map(),
    outcomes: new Map(),
  };
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
      if (res.status === 202 && 'matched' in answer && answer.matched && 'incidentId' in answer) {
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

/** One alert at a time for a new key, waiting for its containment step: milliseconds each. */
async function baseline(intake: RunningIntake, client: Client, token: string, n: number, tag: string): Promise<number[]> {
  const out: number[] = [];
  for (let j = 0; j < n; j++) {
    const postedAt = Date.now();
    const res = await fetch(`${intake.url}/alerts/generic`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ dedupKey: `baseline-${tag}-${j}`, summary: `baseline alert ${j}`, labels: { alertname: 'Bench' } }),
    });
    const answer = (await res.json()) as Answer;
    if (res.status !== 202 || !answer.matched || !('incidentId' in answer)) throw new Error(`baseline delivery answered ${res.status}`);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const step = (await getProgress(client, answer.incidentId).catch(() => undefined))?.steps[0];
      if (step?.status === 'succeeded' && step.endedAt) {
        out.push(Date.parse(step.endedAt) - postedAt);
        break;
      }
      if (Date.now() > deadline) throw new Error(`baseline incident ${answer.incidentId} did not contain within 60 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  return out;
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
  const o = parseOptions(
    argv,
    {
      alerts: { type: 'string' },
      fingerprints: { type: 'string' },
      concurrency: { type: 'string' },
      'db-dir': { type: 'string' },
      baseline: { type: 'string' },
    },
    optionsSchema,
    'npm run bench:intake -- --alerts N --fingerprints M --concurrency C --db-dir DIR --baseline B',
  );
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn', 'bench');
  installRuntimeLogger(logger);

  const config = loadConfig();
  const external = config.server.external;
  const cli = external ? undefined : await ensureTemporalCli(logger);
  const dir = mkdtempSync(join(tmpdir(), 'tourniquet-bench-intake-'));
  const dbDir = mkdtempSync(join(o['db-dir'] ?? defaultDbDir(), 'tourniquet-bench-intake-db-'));
  let server: DevServer | undefined;
  let ok = false;
  let failed = false;
  try {
    if (cli) {
      server = await startDevServer({
        cliPath: cli.path,
        dbFile: join(dbDir, 'db.sqlite'),
        port: await freePort(),
        uiPort: false,
        logFile: join(dir, 'temporal-server.log'),
        logger,
      });
      stopOnSignal(server, dir);
    }
    mkdirSync(join(dir, 'templates'));
    writeFileSync(join(dir, 'templates', 'bench.yaml'), TEMPLATE);
    writeFileSync(join(dir, 'routes.yaml'), ROUTES);

    const address = server?.address ?? config.server.address;
    const client = server ? new Client({ connection: await Connection.connect({ address }) }) : await connectClient(config);
    const connection = client.connection;
    const taskQueue = `bench-intake-${randomBytes(4).toString('hex')}`;
    const worker = await startWorkerProcess(client, address, taskQueue, join(dir, 'home'), join(dir, 'worker.log'));
    const token = randomBytes(24).toString('hex');
    const intake = await startIntake({
      config: loadIntakeConfig({ TOURNIQUET_INTAKE_GENERIC_TOKEN: token }, { port: 0, routes: join(dir, 'routes.yaml'), templates: join(dir, 'templates') }),
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
      // Only this run's task queue: on a shared server other incidents exist.
      for await (const wf of client.workflow.list({ query: `WorkflowType = '${WORKFLOW_TYPE}' AND TaskQueue = '${taskQueue}'` })) runs.push(wf.workflowId);
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
      const idle = await baseline(intake, client, token, o.baseline, tag);
      const target = cli
        ? `Temporal dev server (headless, SQLite): ${cli.path}, database in ${dbDir.startsWith('/dev/shm') ? '/dev/shm (tmpfs)' : dbDir}`
        : `the Temporal server at TEMPORAL_ADDRESS=${address}, namespace ${config.server.namespace}`;
      report(argv, o, target, run, { incidents, duplicates, lost, recorded, twice, missing, containMs, failedPosts, idle });
    } finally {
      await intake.close();
      await worker.stop();
      await connection.close();
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

/**
 * `tourniquet worker` in its own process, as it runs in production: the intake and the poster
 * do not share an event loop with the activities. Ready once it polls the task queue.
 */
async function startWorkerProcess(client: Client, address: string, taskQueue: string, home: string, logFile: string): Promise<{ stop(): Promise<void> }> {
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'tourniquet.js'), 'worker'], {
    env: { ...process.env, TEMPORAL_ADDRESS: address, TOURNIQUET_TASK_QUEUE: taskQueue, TOURNIQUET_HOME: home, LOG_LEVEL: 'warn' },
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the worker exited during start-up; see ${logFile}`);
    // The task queue type defaults to workflow: a worker polling it has finished starting.
    const r = await client.workflowService.describeTaskQueue({ namespace: client.options.namespace, taskQueue: { name: taskQueue } });
    if ((r.pollers?.length ?? 0) > 0) break;
    if (Date.now() > deadline) throw new Error(`the worker did not poll within 120 s; see ${logFile}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

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

interface Counts {
  incidents: number;
  duplicates: number;
  lost: number;
  recorded: number;
  twice: number;
  missing: number;
  containMs: number[];
  failedPosts: number;
  idle: number[];
}

function report(argv: string[], o: Options, target: string, run: PostRun, c: Counts): void {
  const cpu = cpus();
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const row = (label: string, value: string) => say(`  ${label.padEnd(40)} ${value}`);
  const verdict = (good: boolean) => (good ? 'ok' : 'FAILED');
  say(`== tourniquet alert intake: ${invocation('bench:intake', 'bench/intake.ts', argv)} ==`);
  say(`  ${new Date().toISOString()}, node ${process.version}, ${cpu.length} x ${cpu[0]?.model.trim() ?? 'unknown CPU'}`);
  say(`  ${target}`);
  say('  a `tourniquet worker` process; the intake and the poster in this process; loopback only');
  say();
  row('alerts posted (N)', String(o.alerts));
  row('fingerprints (M)', String(o.fingerprints));
  row('concurrent posters', String(o.concurrency));
  say();
  row('posting wall time', ms(run.wallMs));
  row('deliveries/second', (o.alerts / (run.wallMs / 1000)).toFixed(0));
  row('POST round trip p50 / p99', `${ms(pct(run.rttMs, 0.5))} / ${ms(pct(run.rttMs, 0.99))}`);
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
    row('POST to containment step done, p50', ms(pct(c.containMs, 0.5)));
    row('POST to containment step done, p99', ms(pct(c.containMs, 0.99)));
    row('POST to containment step done, max', ms(Math.max(...c.containMs)));
  }
  say('  (first POST of a key to its incident\'s `contain` step endedAt; runCommand ["true"]; under the flood');
  say("   this includes the wait behind every other delivery's workflow task)");
  if (c.idle.length) {
    say();
    row(`baseline: ${c.idle.length} alerts one at a time, p50`, ms(pct(c.idle, 0.5)));
    row('baseline: max', ms(Math.max(...c.idle)));
    say('  (new keys after the flood was counted, each POST waited for until its containment step ended)');
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof Problem ? err.exitCode : 1);
  },
);
