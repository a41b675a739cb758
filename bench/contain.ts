/**
 * `npm run bench:contain [-- --reps N] [--json]`: how long one containment takes through the
 * engine, next to the same kill-and-confirm in bash and Temporal's own floor, in one run on one
 * server. Prints figures; judges nothing.
 *
 * - tourniquet: an incident with one `stopService` step against a `sleep` in its own process
 *   group with a pidfile. Measured from just before `startIncident` to the moment the action
 *   confirmed its effect: the step's `endedAt`, the worker's clock when its activity returned (it
 *   returns only once /proc shows the process gone; a freeze step runs as a local activity, so no
 *   server event marks it). Not the next workflow task, which lags the stop under load.
 * - bash: spawn bash, `kill -TERM -<pgid>`, poll /proc until the process is gone (a zombie
 *   counts as gone, as in the engine).
 * - floor: a workflow with one no-op activity on the same server, start to result.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { z } from 'zod';
import { isAlive } from '../activities/process';
import { parseIncident, startIncident } from '../client/incidents';
import type { IncidentInputDraft } from '../contract';
import { createWorker } from '../worker/create';
import { connectEngine } from './engine';
import { createFloorWorker } from './floor/worker';
import { load1m, parseOptions, pct, round, runBench, say, withBenchServer } from './lib';

const optionsSchema = z.object({
  reps: z.coerce.number().int().min(3).max(1_000).default(30),
  json: z.boolean().default(false),
});

/** An agent to contain: `sleep` leading its own process group, its pid in a pidfile. */
function startAgent(pidfile: string): number {
  const child = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
  if (child.pid === undefined) throw new Error('could not start the agent');
  child.unref();
  writeFileSync(pidfile, `${child.pid}\n`);
  return child.pid;
}

function containIncident(pidfile: string, rep: number): IncidentInputDraft {
  return {
    class: 'runaway-automation',
    severity: 'S2',
    title: `containment benchmark ${rep}`,
    steps: [{ id: 'stop-agent', action: 'stopService', args: { service: 'agent', manager: { kind: 'process', pidfile }, graceMs: 5_000 } }],
  };
}

/** bash: the same kill-and-confirm a shell script would do, timed from spawning bash to its exit. */
async function bashOnce(pid: number): Promise<number> {
  const script = `kill -TERM -- -${pid}; while read -r _ _ s _ < /proc/${pid}/stat 2>/dev/null && [ "$s" != Z ] && [ "$s" != X ]; do :; done`;
  const started = performance.now();
  await execa('bash', ['-c', script]);
  const took = performance.now() - started;
  if (isAlive(pid)) throw new Error(`bash left pid ${pid} alive`);
  return took;
}

async function main(): Promise<void> {
  const { reps, json } = parseOptions(
    process.argv.slice(2),
    { reps: { type: 'string' }, json: { type: 'boolean' } },
    optionsSchema,
    'npm run bench:contain -- [--reps N] [--json]',
  );
  const loadBefore = load1m();
  await withBenchServer('contain', async ({ dir, server, logger, temporalCli }) => {
    const home = join(dir, 'home');
    const agents = join(dir, 'agents');
    mkdirSync(agents, { recursive: true });
    const connected = await connectEngine(server, 'contain');
    const { workflowBundle, nativeConnection, client, taskQueue } = connected;
    const floorQueue = `${taskQueue}-floor`;
    const worker = await createWorker({ connection: nativeConnection, namespace: 'default', taskQueue, home, logger, workflowBundle });
    const floorWorker = await createFloorWorker(nativeConnection, floorQueue);
    const engine: number[] = [];
    const engineResult: number[] = [];
    const floor: number[] = [];
    const floorActivity: number[] = [];
    const bash: number[] = [];
    const warmup = 2;
    await floorWorker.runUntil(
      worker.runUntil(async () => {
        for (let i = 0; i < reps + warmup; i++) {
          // Interleaved, so a burst of load on this shared machine hits all three alike.
          const pidfile = join(agents, `agent-${i}.pid`);
          const pid = startAgent(pidfile);
          const input = parseIncident(containIncident(pidfile, i));
          const t0 = Date.now();
          const { handle } = await startIncident(client, input, { taskQueue });
          const final = await handle.result();
          const t1 = Date.now();
          if (final.state !== 'resolved' || isAlive(pid)) throw new Error(`containment ${i} ended ${final.state}; agent alive: ${isAlive(pid)}`);
          const confirmed = Date.parse(final.steps[0]?.endedAt ?? '');
          if (Number.isNaN(confirmed)) throw new Error(`containment ${i}: the stop step has no endedAt`);

          const floorStart = Date.now();
          const fh = await client.workflow.start('floor', { taskQueue: floorQueue, workflowId: `floor-${taskQueue}-${i}`, args: [1] });
          await fh.result();
          const floorEnd = Date.now();
          const floorConfirmed = await activityCompletedAt(fh);

          const bashMs = await bashOnce(startAgent(join(agents, `bash-${i}.pid`)));
          if (i < warmup) continue;
          engine.push(confirmed - t0);
          engineResult.push(t1 - t0);
          floor.push(floorEnd - floorStart);
          floorActivity.push(floorConfirmed - floorStart);
          bash.push(bashMs);
        }
      }),
    );
    await connected.close();
    const loadAfter = load1m();
    const summary = {
      tourniquetP50Ms: pct(engine, 0.5),
      tourniquetP99Ms: pct(engine, 0.99),
      bashP50Ms: round(pct(bash, 0.5)),
      floorP50Ms: pct(floor, 0.5),
    };
    const version = (await execa(temporalCli, ['--version'], { reject: false })).stdout.trim();
    say(`== tourniquet containment: ${reps} reps (+${warmup} warm-up), interleaved, one server ==`);
    say(`  ${new Date().toISOString()}, node ${process.version}, load ${loadBefore} -> ${loadAfter}; ${version}`);
    const row = (label: string, xs: number[]) =>
      say(
        `  ${label.padEnd(52)} p50 ${pct(xs, 0.5).toFixed(1).padStart(7)}  p95 ${pct(xs, 0.95).toFixed(1).padStart(7)}  p99 ${pct(xs, 0.99).toFixed(1).padStart(7)} ms`,
      );
    row('tourniquet: start -> stop confirmed (activity done)', engine);
    row('tourniquet: start -> incident result at client', engineResult);
    row('bash: spawn bash, kill -TERM -pgid, poll /proc', bash);
    row('floor: 1 no-op activity, start -> result', floor);
    row('floor: 1 no-op activity, start -> activity done', floorActivity);
    say(`  goal: tourniquet p50 <= floor + bash + 10 = ${(summary.floorP50Ms + summary.bashP50Ms + 10).toFixed(1)} ms; p99 <= 2 x p50`);
    if (json) say(JSON.stringify(summary));
  });
}

/** Server time of the first ActivityTaskCompleted in a workflow's history. */
async function activityCompletedAt(handle: {
  fetchHistory(): Promise<{ events?: Array<{ activityTaskCompletedEventAttributes?: unknown; eventTime?: unknown }> | null }>;
}): Promise<number> {
  const history = await handle.fetchHistory();
  const event = history.events?.find((e) => e.activityTaskCompletedEventAttributes);
  const t = event?.eventTime as { seconds?: { toNumber(): number } | number; nanos?: number } | undefined;
  if (!t) throw new Error('no ActivityTaskCompleted event in the history');
  const seconds = typeof t.seconds === 'number' ? t.seconds : (t.seconds?.toNumber() ?? 0);
  return seconds * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

runBench(main);
