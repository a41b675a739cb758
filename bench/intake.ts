/**
 * `npm run bench:intake [-- --deliveries N --keys K --burst B --concurrency C --rate R --repeat-gap MS --db-dir DIR --json]`:
 * the alert intake under a storm, on a dev server of its own (bench/lib.ts; its database on
 * tmpfs, /dev/shm, when there is one, so the figures are the engine's and not the disk's), a
 * `tourniquet worker` process and a `tourniquet intake` process as in production (generic
 * endpoint, bearer token), and in this process the poster, C deliveries at a time (or, with
 * --rate, R a second whatever the answers).
 *
 * Each alert names an agent (a `sleep` leading its own process group); its incident's first step
 * kills that group and confirms it gone (a freeze-phase `runCommand`, so a local activity), then
 * the incident holds at an approval gate so every later delivery finds it open. In order:
 *
 * - repeats: K incidents are opened, then N deliveries for those K keys arrive while a new key's
 *   alert is posted every 100 ms. (a) CPU ms per delivery of each process over this phase (the
 *   worker's with its command helper, which forks the commands; not the commands' own);
 *   (b) each new alert's POST to its containment confirmed (the step's end, the worker's clock);
 *   (d) deliveries per second over the phase.
 * - burst: B new keys posted at once; (c) the last of them contained, from the burst's first POST,
 *   beside bash stopping B such agents one after another.
 * - floor: Temporal's own cost of the repeats, the same signals in the same lanes and order sent
 *   straight from a client to K workflows that only count them: server CPU ms per signal; and of
 *   the burst, B workflows started in the same lanes, each running one local activity in its
 *   first task: from the first start to the last activity run.
 * - accounting over every phase: lost = deliveries not answered 202 or missing from their
 *   incident's timeline; duplicates = incidents beyond one per key.
 *
 * Prints figures and, with --json, `{"cpuMsPerDelivery","newDuringRepeatsP99Ms","burstContainMaxMs",
 * "bashBurstMs","deliveriesPerSecond","lost","duplicates","floorServerCpuMsPerSignal","floorBurstMaxMs"}`; judges
 * nothing but the invariants (exits non-zero when a delivery is lost or a key got two incidents).
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { z } from 'zod';
import { getProgress } from '../client/incidents';
import { freePort } from '../common/probe';
import { WORKFLOW_TYPE, type IncidentProgress } from '../contract';
import { INCIDENT_PHASE_KEY } from '../contract/search-attributes';
import { createFloorWorker } from './floor/worker';
import type { firstStep, listener } from './floor/workflows';
import { noticeSignal, stopSignal } from './floor/workflows';
import { agentFactory, atRate, bashStop, inLanes, poster, shuffled, startIntakeProcess, startWorkerProcess, STOP_SCRIPT, type Poster } from './intake-load';
import { commandHelperPid, cpuMs, invocation, load1m, parseOptions, pct, round, runBench, say, withBenchServer } from './lib';

const USAGE = 'npm run bench:intake -- [--deliveries N] [--keys K] [--burst B] [--concurrency C] [--rate R] [--repeat-gap MS] [--db-dir DIR] [--json]';

const optionsSchema = z.object({
  /** Repeat deliveries for the open incidents. */
  deliveries: z.coerce.number().int().min(1).max(100_000).default(10_000),
  /** Open incidents the repeats are for. */
  keys: z.coerce.number().int().min(1).max(10_000).default(100),
  /** New incidents posted at once after the repeats. */
  burst: z.coerce.number().int().min(1).max(10_000).default(1_000),
  concurrency: z.coerce.number().int().min(1).max(512).default(64),
  /** Post the repeats at this many per second, not waiting for answers (up to 1,024 unanswered); default: C lanes, each posting when its last was answered. */
  rate: z.coerce.number().int().min(1).max(10_000).optional(),
  /** The intake's TOURNIQUET_INTAKE_REPEAT_GAP, in ms (default: the intake's own). */
  'repeat-gap': z.string().regex(/^\d+$/, 'must be a number of ms').optional(),
  'db-dir': z.string().min(1).optional(),
  json: z.boolean().default(false),
});

/** tmpfs when the machine has one: the figures should be the engine's, not the disk's fsync. */
function defaultDbDir(): string {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

// A freeze step says what it stops (rule 1); `{{pid}}` is a command argument, the only kind of
// value an alert may fill in a template. Stopping a stopped group again is harmless, so a run cut
// short (its workflow task timed out on a loaded machine) may run again.
const TEMPLATE = `class: runaway-automation
severity: S3
title: from the alert
steps:
  - id: contain
    action: runCommand
    phase: freeze
    timeouts: { startToClose: 30s }
    effects: { freezes: [agent] }
    args: { argv: ["bash", "-c", ${JSON.stringify(STOP_SCRIPT)}, "{{pid}}"], rerunIfInterrupted: true }
  - { id: hold, action: runCommand, approval: { required: true }, args: { argv: ["true"] } }
`;
const ROUTES = `routes:
  - name: bench
    sources: [generic]
    match: { labels.alertname: Bench }
    playbook: bench
    severity: S3
    params: { pid: { from: labels.pid, type: string, pattern: "[0-9]{1,10}" } }
`;

const contained = (p: IncidentProgress | undefined) => {
  const step = p?.steps.find((s) => s.id === 'contain');
  return step?.status === 'succeeded' && step.endedAt ? Date.parse(step.endedAt) : undefined;
};

/** Progress of every incident once `done` holds for all of them (queries, 32 at a time). */
async function settle(client: Client, ids: string[], done: (p: IncidentProgress) => boolean, timeoutMs: number): Promise<Map<string, IncidentProgress>> {
  const settled = new Map<string, IncidentProgress>();
  const deadline = Date.now() + timeoutMs;
  while (settled.size < ids.length) {
    const pending = ids.filter((id) => !settled.has(id));
    await inLanes(
      pending.map((id) => async () => {
        const p = await getProgress(client, id).catch(() => undefined);
        if (p && done(p)) settled.set(id, p);
      }),
      32,
    );
    if (settled.size < ids.length) {
      if (Date.now() > deadline) throw new Error(`${ids.length - settled.size} incidents did not settle within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  return settled;
}

const msPer = (ms: number, count: number) => Math.round((ms / count) * 100) / 100;

const incidentsOf = (p: Poster, keys: string[]) => [...new Set(keys.map((k) => p.keys.get(k)?.incidentId).filter((x): x is string => !!x))];

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const o = parseOptions(
    argv,
    {
      deliveries: { type: 'string' },
      keys: { type: 'string' },
      burst: { type: 'string' },
      concurrency: { type: 'string' },
      rate: { type: 'string' },
      'repeat-gap': { type: 'string' },
      'db-dir': { type: 'string' },
      json: { type: 'boolean' },
    },
    optionsSchema,
    USAGE,
  );
  // The repeats' pace: C lanes, each posting when its last was answered, or R a second with
  // --rate. Resolves to how late the last start was (0 in lanes).
  const offer = async (jobs: (() => Promise<void>)[]) => (o.rate === undefined ? (await inLanes(jobs, o.concurrency), 0) : atRate(jobs, o.rate, 1_024));
  const loadBefore = load1m();
  let failed = false;
  await withBenchServer(
    'intake',
    async ({ dir, server }) => {
      mkdirSync(join(dir, 'templates'));
      writeFileSync(join(dir, 'templates', 'bench.yaml'), TEMPLATE);
      writeFileSync(join(dir, 'routes.yaml'), ROUTES);
      const connection = await Connection.connect({ address: server.address });
      const client = new Client({ connection });
      const taskQueue = `bench-intake-${randomBytes(4).toString('hex')}`;
      const worker = await startWorkerProcess(client, server.address, taskQueue, join(dir, 'home'), join(dir, 'worker.log'));
      const token = randomBytes(24).toString('hex');
      const repeatGap = o['repeat-gap'];
      const intake = await startIntakeProcess({
        address: server.address,
        taskQueue,
        port: await freePort(),
        routes: join(dir, 'routes.yaml'),
        templates: join(dir, 'templates'),
        env: { TOURNIQUET_INTAKE_GENERIC_TOKEN: token, ...(repeatGap !== undefined ? { TOURNIQUET_INTAKE_REPEAT_GAP: repeatGap } : {}) },
        logFile: join(dir, 'intake.log'),
      });
      const agents = new Map<string, number>();
      const factory = agentFactory();
      const agentFor = async (key: string) => agents.get(key) ?? agents.set(key, await factory.start()).get(key)!;
      const p = poster(intake, token);
      try {
        const tag = randomBytes(3).toString('hex');
        // Repeats: K incidents open and contained first, then the flood with new keys among it.
        const openKeys = Array.from({ length: o.keys }, (_, i) => `open-${tag}-${i}`);
        await inLanes(
          openKeys.map((k) => async () => p.deliver(k, await agentFor(k))),
          o.concurrency,
        );
        await settle(client, incidentsOf(p, openKeys), (x) => x.state === 'awaiting-approval', 600_000);
        const newKeys: string[] = [];
        // The worker's commands fork from its command helper (started by the first containment).
        const helperPid = commandHelperPid(worker.pid);
        if (helperPid === undefined) throw new Error('the worker has no command helper after its first containments');
        const cpu0 = { server: cpuMs(server.pid), worker: cpuMs(worker.pid), helper: cpuMs(helperPid), intake: cpuMs(intake.pid), poster: process.cpuUsage() };
        const flood = shuffled(Array.from({ length: o.deliveries }, (_, i) => openKeys[i % o.keys]!));
        const t0 = performance.now();
        let flooding = true;
        const newDeliveries: Promise<void>[] = [];
        const trickle = (async () => {
          while (flooding) {
            const key = `new-${tag}-${newKeys.length}`;
            newKeys.push(key);
            newDeliveries.push(agentFor(key).then((pid) => p.deliver(key, pid)));
            await new Promise((r) => setTimeout(r, 100));
          }
        })();
        const lateMs = await offer(flood.map((k) => () => p.deliver(k, agents.get(k)!)));
        flooding = false;
        await trickle;
        await Promise.all(newDeliveries);
        const floodMs = performance.now() - t0;
        const used = process.cpuUsage(cpu0.poster);
        const floodDeliveries = o.deliveries + newKeys.length;
        const perDelivery = (ms: number) => msPer(ms, floodDeliveries);
        const helperMs = cpuMs(helperPid) - cpu0.helper;
        const cpuMsPerDelivery = {
          server: perDelivery(cpuMs(server.pid) - cpu0.server),
          worker: perDelivery(cpuMs(worker.pid) - cpu0.worker + helperMs),
          intake: perDelivery(cpuMs(intake.pid) - cpu0.intake),
          poster: perDelivery((used.user + used.system) / 1000),
        };
        const newProgress = await settle(client, incidentsOf(p, newKeys), (x) => contained(x) !== undefined, 600_000);
        // Where a new alert's time goes: before its incident's first workflow task ran (the
        // intake, the server, the task's wait for a worker thread), and from there to the stop.
        const newRuns = newKeys.map((k) => {
          const x = newProgress.get(p.keys.get(k)?.incidentId ?? '');
          const posted = p.keys.get(k)!.firstPostAt;
          const firstTask = x ? Date.parse(x.startedAt) : NaN;
          const stopped = contained(x) ?? NaN;
          return { total: stopped - posted, firstTask: firstTask - posted, toContain: stopped - firstTask };
        });
        const known = (pick: (r: (typeof newRuns)[number]) => number) => newRuns.map(pick).filter((ms) => !Number.isNaN(ms));
        const newMs = known((r) => r.total);
        const firstTaskMs = known((r) => r.firstTask);
        const toContainMs = known((r) => r.toContain);

        // Burst: B new keys at once.
        const burstKeys = Array.from({ length: o.burst }, (_, i) => `burst-${tag}-${i}`);
        for (const k of burstKeys) await agentFor(k);
        // The burst is over when every one of its incidents reached its held step, whose phase is
        // `contain`: counted in visibility, so no query to the worker competes with the burst.
        const atHold = `TaskQueue = '${taskQueue}' AND ${INCIDENT_PHASE_KEY.name} = 'contain'`;
        const heldBefore = (await client.workflow.count(atHold)).count;
        const burstCpu0 = { server: cpuMs(server.pid), worker: cpuMs(worker.pid) + cpuMs(helperPid), intake: cpuMs(intake.pid) };
        const burstStart = Date.now();
        await inLanes(
          burstKeys.map((k) => () => p.deliver(k, agents.get(k)!)),
          o.concurrency,
        );
        const burstDeadline = Date.now() + 900_000;
        while ((await client.workflow.count(atHold)).count < heldBefore + o.burst) {
          if (Date.now() > burstDeadline) throw new Error(`the burst's ${o.burst} incidents did not all reach their held step within 900 s`);
          await new Promise((r) => setTimeout(r, 200));
        }
        const burstCpuMsPerIncident = {
          server: msPer(cpuMs(server.pid) - burstCpu0.server, o.burst),
          worker: msPer(cpuMs(worker.pid) + cpuMs(helperPid) - burstCpu0.worker, o.burst),
          intake: msPer(cpuMs(intake.pid) - burstCpu0.intake, o.burst),
        };
        const burstProgress = await settle(client, incidentsOf(p, burstKeys), (x) => contained(x) !== undefined, 60_000);
        const burstContainMaxMs = Math.max(...[...burstProgress.values()].map((x) => contained(x)! - burstStart));
        const bashAgents: number[] = [];
        for (let i = 0; i < o.burst; i++) bashAgents.push(await factory.start());
        const bashBurstMs = round(await bashStop(bashAgents));

        // Temporal's floor for the repeats: the same signals, lanes (or rate) and order sent straight to K
        // workflows that only count them (bench/floor), from their first signal to their results.
        const nativeConnection = await NativeConnection.connect({ address: server.address });
        const floorQueue = `${taskQueue}-floor`;
        const floorWorker = await createFloorWorker(nativeConnection, floorQueue);
        const floor = await floorWorker
          .runUntil(async () => {
            const listeners = await Promise.all(
              openKeys.map((_, i) => client.workflow.start<typeof listener>('listener', { taskQueue: floorQueue, workflowId: `listener-${tag}-${i}` })),
            );
            const notice = { source: 'generic', status: 'firing', fingerprint: 'bench', summary: 'bench alert', receivedAt: new Date().toISOString() };
            const s0 = cpuMs(server.pid);
            await offer(flood.map((k) => () => listeners[openKeys.indexOf(k)]!.signal(noticeSignal, notice)));
            await Promise.all(listeners.map((h) => h.signal(stopSignal)));
            const counted = (await Promise.all(listeners.map((h) => h.result()))).reduce((a, b) => a + b, 0);
            if (counted !== flood.length) throw new Error(`the floor's listeners counted ${counted} of ${flood.length} signals`);
            const serverMsPerSignal = msPer(cpuMs(server.pid) - s0, flood.length);
            // Temporal's floor for the burst: B workflows started at once in the same lanes, each
            // running one local activity in its first task, as an incident's freeze step does.
            const firstSteps: Promise<number>[] = [];
            const b1 = cpuMs(server.pid);
            const own0 = process.cpuUsage();
            const b0 = Date.now();
            await inLanes(
              burstKeys.map((_, i) => async () => {
                const h = await client.workflow.start<typeof firstStep>('firstStep', { taskQueue: floorQueue, workflowId: `first-${tag}-${i}` });
                firstSteps.push(h.result());
              }),
              o.concurrency,
            );
            const burstMaxMs = Math.max(...(await Promise.all(firstSteps))) - b0;
            const own = process.cpuUsage(own0);
            return {
              serverMsPerSignal,
              burstMaxMs,
              burstServerMsPerWorkflow: msPer(cpuMs(server.pid) - b1, burstKeys.length),
              burstWorkerMsPerWorkflow: msPer((own.user + own.system) / 1000, burstKeys.length),
            };
          })
          .finally(() => nativeConnection.close());

        // Accounting: every delivery answered 202 is in its incident's timeline; one incident per key.
        const allKeys = [...p.keys.keys()];
        const ids = incidentsOf(p, allKeys);
        const expected = new Map<string, number>();
        for (const r of p.keys.values()) if (r.incidentId) expected.set(r.incidentId, (expected.get(r.incidentId) ?? 0) + r.accepted);
        const alertsIn = (x: IncidentProgress) => x.timeline.filter((e) => e.kind === 'alert').length;
        const final = await settle(client, ids, (x) => alertsIn(x) >= expected.get(x.incidentId)!, 300_000).catch(async (err: Error) => {
          say(`  (${err.message}; counting what arrived)`);
          return settle(client, ids, () => true, 60_000);
        });
        let missing = 0;
        for (const id of ids) missing += Math.max(0, expected.get(id)! - (final.get(id) ? alertsIn(final.get(id)!) : 0));
        const runs: string[] = [];
        for await (const wf of client.workflow.list({ query: `WorkflowType = '${WORKFLOW_TYPE}' AND TaskQueue = '${taskQueue}'` })) runs.push(wf.workflowId);
        const failedPosts = [...p.failures.values()].reduce((a, b) => a + b, 0);
        const lost = failedPosts + missing;
        // A key's incident id is a hash of the key: a second incident for a key is a second run of an id, or a key without one.
        const duplicates = runs.length - new Set(runs).size + Math.max(0, new Set(runs).size - allKeys.length);
        failed = lost !== 0 || duplicates !== 0 || new Set(runs).size !== allKeys.length;

        // How the open incidents' repeats reached them: signals per delivery (batches carry several).
        let signals = 0;
        for (const id of incidentsOf(p, openKeys)) {
          const { events } = await client.workflow.getHandle(id).fetchHistory();
          signals += (events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes).length;
        }
        const openDeliveries = openKeys.reduce((n, k) => n + (p.keys.get(k)?.accepted ?? 0), 0);
        const signalsPerDelivery = round(signals / openDeliveries);

        const summary = {
          cpuMsPerDelivery,
          newDuringRepeatsP99Ms: pct(newMs, 0.99),
          burstContainMaxMs,
          bashBurstMs,
          deliveriesPerSecond: Math.round(floodDeliveries / (floodMs / 1000)),
          lost,
          duplicates,
          floorServerCpuMsPerSignal: floor.serverMsPerSignal,
          floorBurstMaxMs: floor.burstMaxMs,
        };
        const row = (label: string, value: string) => say(`  ${label.padEnd(46)} ${value}`);
        say(`== tourniquet alert intake: ${invocation('bench:intake', 'bench/intake.ts', argv)} ==`);
        say(`  ${new Date().toISOString()}, node ${process.version}, load ${loadBefore} -> ${load1m()}`);
        say('  dev server (SQLite), a `tourniquet worker` process, a `tourniquet intake` process, the poster in this process; loopback only');
        say();
        const pace = o.rate === undefined ? `${o.concurrency} at a time` : `offered at ${o.rate}/s (the last ${Math.round(lateMs)} ms late)`;
        say(`repeats: ${o.deliveries} deliveries for ${o.keys} open incidents, ${pace}, a new key every 100 ms among them`);
        say(`  (the intake's repeat gap: ${repeatGap === undefined ? "the intake's default" : `${repeatGap} ms`})`);
        row('deliveries/second', `${summary.deliveriesPerSecond} (${floodDeliveries} in ${(floodMs / 1000).toFixed(1)} s)`);
        row('POST round trip p50 / p99 (all phases)', `${pct(p.rttMs, 0.5).toFixed(1)} / ${pct(p.rttMs, 0.99).toFixed(1)} ms`);
        row(
          'CPU ms per delivery: server / worker',
          `${cpuMsPerDelivery.server} / ${cpuMsPerDelivery.worker} (of which its command helper ${perDelivery(helperMs)})`,
        );
        row('CPU ms per delivery: intake / poster', `${cpuMsPerDelivery.intake} / ${cpuMsPerDelivery.poster} (the poster is this process)`);
        row("Temporal's floor: server CPU ms per signal", `${floor.serverMsPerSignal} (the same ${flood.length} signals to ${o.keys} counting workflows)`);
        row(`new alerts (${newMs.length}): POST to contained p50 / p99`, `${pct(newMs, 0.5)} / ${pct(newMs, 0.99)} ms`);
        row('  of which POST to first workflow task p50 / p99', `${pct(firstTaskMs, 0.5)} / ${pct(firstTaskMs, 0.99)} ms`);
        row('  and first workflow task to contained p50 / p99', `${pct(toContainMs, 0.5)} / ${pct(toContainMs, 0.99)} ms`);
        say();
        say(`burst: ${o.burst} new incidents posted at once`);
        row('first POST to the last one contained', `${burstContainMaxMs} ms`);
        row(`bash stopping ${o.burst} agents one by one`, `${bashBurstMs} ms`);
        row(
          'CPU ms per incident: server / worker / intake',
          `${burstCpuMsPerIncident.server} / ${burstCpuMsPerIncident.worker} / ${burstCpuMsPerIncident.intake} (to the last one held)`,
        );
        row(`Temporal's floor: ${o.burst} one-local-activity workflows`, `${floor.burstMaxMs} ms (started in the same lanes, to the last activity run)`);
        row(
          "  the floor's CPU ms per workflow: server / worker",
          `${floor.burstServerMsPerWorkflow} / ${floor.burstWorkerMsPerWorkflow} (to the last result; the worker's with the starting client, both in this process)`,
        );
        say();
        row('signals per delivery (open incidents)', `${signalsPerDelivery} (${signals} signals for ${openDeliveries} deliveries)`);
        row('answers by outcome', [...p.outcomes].map(([k, v]) => `${k} ${v}`).join(', '));
        row('retries (503 or no connection)', String(p.retries));
        row('keys / incidents', `${allKeys.length} / ${new Set(runs).size}`);
        row('lost deliveries', `${lost} (${failedPosts} never answered 202, ${missing} answered but not in a timeline)`);
        row('duplicates', String(duplicates));
        if (o.json) say(JSON.stringify(summary));
      } finally {
        await intake.stop();
        await worker.stop();
        await connection.close();
        factory.close();
        for (const pid of agents.values()) {
          try {
            process.kill(-pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
    },
    { dbDir: o['db-dir'] ?? defaultDbDir() },
  );
  if (failed) throw new Error('an invariant failed: see lost, duplicates and keys / incidents above');
}

runBench(main);
