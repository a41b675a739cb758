/**
 * Scenario (d) of issue 10: a real OpenClaw gateway run as a plain `process` service (a
 * pidfile, a command, an env file, a working directory, a log file, a port probe), driven by
 * `tourniquet worker` processes the test SIGKILLs.
 *
 * - A wrong pidfile: the drill and the live stop both refuse, say which inventory field to
 *   fix, and the gateway keeps answering.
 * - The `openclaw-service-outage` playbook: the gateway is captured, stopped and, once
 *   approved, started again in a session of its own, with its env file's variables, its
 *   working directory and its log file; a SIGKILL of the worker leaves it running. The worker
 *   is also killed at the approval gate and during the smoke test: new workers finish the
 *   incident, and the gateway was stopped once and started once.
 *
 * One gateway for the file. TOURNIQUET_SKIP_OPENCLAW=1 skips it.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readiness } from '../../activities/openclaw';
import { identify, isAlive, readPidfile, sessionOf } from '../../activities/process';
import { approve, getProgress, recordControl } from '../../client/incidents';
import { PROJECT_ROOT } from '../../common/paths';
import { compilePlaybook, findPlaybook, YamlSource, type Inventory } from '../../compiler';
import type { IncidentProgress } from '../../contract';
import { httpStatus } from '../../server/openclaw/gateway';
import { driveIncident, MINUTE, skipOpenClaw, startClawWorld, type ClawWorld } from '../helpers/openclaw';
import { namesBelieved, startDraft } from '../helpers/start';
import { waitFor } from '../helpers/temporal';

describe('scenario (d): the OpenClaw gateway as a plain process service', { skip: skipOpenClaw, timeout: 20 * MINUTE }, () => {
  let world: ClawWorld;
  let pidfile: string;
  let envFile: string;
  let service: Inventory['services'][string];
  const workers: ChildProcess[] = [];

  function startWorkerProcess(): ChildProcess {
    const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'tourniquet.js'), 'worker'], {
      env: { ...process.env, TEMPORAL_ADDRESS: world.env.address, TOURNIQUET_HOME: world.home, TOURNIQUET_TASK_QUEUE: world.taskQueue, LOG_LEVEL: 'error' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    workers.push(child);
    return child;
  }

  async function kill(child: ChildProcess): Promise<void> {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** The incident's progress once it ended, resolved or not (a failed incident fails its workflow). */
  async function ended(handle: { result(): Promise<unknown> }, id: string): Promise<IncidentProgress> {
    await handle.result().catch(() => undefined);
    return getProgress(world.env.client, id);
  }

  function compile(inventory: Inventory, mode: 'live' | 'drill') {
    return namesBelieved(
      compilePlaybook(YamlSource.read(findPlaybook('openclaw-service-outage')), {
        inventory,
        params: { gateway: 'claw', service: 'claw-gateway' },
        mode,
        home: world.home,
      }),
    );
  }

  before(
    async () => {
      world = await startClawWorld({ worker: false });
      const g = world.gateway;
      // How an operator runs it: the pid in a pidfile, the settings in an env file.
      pidfile = join(g.root, 'run', 'gateway.pid');
      envFile = join(g.root, 'gateway.env');
      mkdirSync(join(g.root, 'run'));
      writeFileSync(pidfile, `${g.pid}\n`);
      const keys = [
        'PATH',
        'HOME',
        'OPENCLAW_HOME',
        'OPENCLAW_STATE_DIR',
        'OPENCLAW_CONFIG_PATH',
        'OPENCLAW_GATEWAY_PORT',
        'OPENCLAW_DISABLE_BONJOUR',
        'OPENCLAW_OFFLINE',
        'OPENCLAW_NO_AUTO_UPDATE',
        'CI',
        'DO_NOT_TRACK',
        'NO_COLOR',
        'TMPDIR',
        'XDG_RUNTIME_DIR',
        'XDG_CONFIG_HOME',
      ];
      writeFileSync(envFile, `${keys.map((k) => `${k}=${g.env[k]}`).join('\n')}\nCLAW_SERVICE_MARKER=from-the-env-file\n`, { mode: 0o600 });
      service = {
        manager: {
          kind: 'process',
          pidfile,
          command: [world.install.node, world.install.openclawEntry, 'gateway', 'run', '--port', String(g.port)],
          cwd: g.root,
          envFile,
          logFile: g.outputPath,
          probe: { port: g.port },
        },
        probe: { port: g.port },
        logs: [g.logPath],
      } as Inventory['services'][string];
      startWorkerProcess();
    },
    { timeout: 10 * MINUTE },
  );

  after(async () => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    // The gateway the incident started is not the harness's child: stop its session here.
    const pid = pidfile && existsSync(pidfile) ? readPidfile(pidfile) : undefined;
    if (pid && pid !== world?.gateway.pid && isAlive(pid)) {
      process.kill(-pid, 'SIGTERM');
      await waitFor('the restarted gateway to exit', async () => (isAlive(pid) ? undefined : true), MINUTE).catch(() => process.kill(-pid, 'SIGKILL'));
    }
    await world?.stop();
  });

  it('a wrong pidfile: the drill and the live stop refuse and say what to fix, and the gateway keeps answering', async () => {
    const stale = join(world.gateway.root, 'run', 'stale.pid');
    writeFileSync(stale, '999999\n');
    const wrong = { ...service, manager: { ...service.manager, pidfile: stale } } as Inventory['services'][string];
    const inventory = { ...world.inventory, services: { 'claw-gateway': wrong } };
    const fix =
      /pidfile .*stale\.pid names pid 999999, which is not running \(a stale pidfile\), yet claw-gateway is running \(.*\)\. Nothing was stopped: fix services\.claw-gateway\.manager\.pidfile/;

    const drill = await startDraft(world.env.client, compile(inventory, 'drill'), { taskQueue: world.taskQueue });
    const drilled = await ended(drill.handle, drill.id);
    assert.notEqual(drilled.state, 'resolved', 'the drill does not pass');
    assert.match(JSON.stringify(drilled.steps.find((s) => s.id === 'stop-remains')!.error), fix);

    const live = await startDraft(
      world.env.client,
      {
        class: 'service-outage',
        severity: 'S2',
        title: 'stop the gateway through a stale pidfile',
        steps: [{ id: 'stop', action: 'stopService', args: { service: 'claw-gateway', manager: wrong.manager } }],
      },
      { taskQueue: world.taskQueue },
    );
    const stopped = await ended(live.handle, live.id);
    assert.equal(stopped.state, 'failed');
    assert.match(JSON.stringify(stopped.steps[0]!.error), fix);
    // The world: the same gateway process is alive and answers.
    assert.ok(isAlive(world.gateway.pid));
    assert.equal(await httpStatus(`${world.gateway.url}/healthz`), 200);
  });

  it('an approved restart runs the gateway in its own session with its env file, cwd and log file, and it survives worker kills', async (t) => {
    const inventory = { ...world.inventory, services: { 'claw-gateway': service } };
    const logBefore = readFileSync(world.gateway.outputPath, 'utf8');
    const started = Date.now();
    const { id, handle } = await startDraft(world.env.client, compile(inventory, 'live'), { taskQueue: world.taskQueue });
    const at = (p: IncidentProgress, step: string) => p.steps.find((s) => s.id === step)!;
    await driveIncident(world, id, 'the approval gate of the restart', (p) => p.state === 'awaiting-approval');
    t.diagnostic(
      `containment: ${((Date.now() - started) / 1000).toFixed(1)} s from the start of the incident to the proven stop (captured, stopped, waiting for approval)`,
    );
    assert.ok(!isAlive(world.gateway.pid), 'the stop ended the gateway process');
    assert.equal(await httpStatus(`${world.gateway.url}/healthz`), 0, 'nothing answers on its port');

    // A worker crash while the incident waits for a human.
    await kill(workers.at(-1)!);
    startWorkerProcess();
    await approve(world.env.client, id, { step: 'restart-gateway', by: 'alice' });
    const restarted = await driveIncident(world, id, 'the restart', (p) => at(p, 'restart-gateway').status === 'succeeded', undefined, 5 * MINUTE);
    const pid = readPidfile(pidfile)!;
    assert.equal(at(restarted, 'restart-gateway').result?.pid, pid, 'the pidfile names the process the restart started');

    // Started the way the inventory says: its own session, the env file's variables, its cwd, its log.
    assert.equal(sessionOf(pid), pid, 'the gateway leads a session of its own');
    const worker = workers.at(-1)!.pid!;
    assert.notEqual(sessionOf(pid), sessionOf(worker), "not in the worker's session");
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    assert.ok(environ.includes('CLAW_SERVICE_MARKER=from-the-env-file'), "the env file's variables");
    assert.ok(environ.includes(`OPENCLAW_STATE_DIR=${world.gateway.stateDir}`));
    assert.equal(readlinkSync(`/proc/${pid}/cwd`), world.gateway.root, 'its working directory');
    await waitFor('the restarted gateway to be ready', async () => ((await readiness(world.gateway.url)).httpStatus === 200 ? true : undefined), 3 * MINUTE);
    const logAfter = readFileSync(world.gateway.outputPath, 'utf8');
    assert.ok(logAfter.startsWith(logBefore) && logAfter.length > logBefore.length, 'it appends to its log file');

    // A worker crash while the smoke test runs: the gateway is not the worker's child and keeps answering.
    await driveIncident(world, id, 'the smoke test to run', (p) => at(p, 'smoke').status === 'running');
    const identity = identify(pid);
    await kill(workers.at(-1)!);
    assert.ok(identity && isAlive(pid), 'the gateway survives the worker kill');
    assert.deepEqual(identify(pid), identity, 'the same process (pid and start time)');
    assert.equal(await httpStatus(`${world.gateway.url}/healthz`), 200);
    startWorkerProcess();

    const waiting = await driveIncident(world, id, 'the incident to wait for its control', (p) => p.state === 'awaiting-control');
    assert.equal(at(waiting, 'smoke').status, 'succeeded');
    await recordControl(world.env.client, id, { kind: 'circuit-breaker', note: 'the gateway runs under a supervisor with restart backoff', by: 'alice' });
    const result = await handle.result();
    assert.equal(result.state, 'resolved');
    // Each effect once: one stop, one start (the log shows two gateway starts: the harness's and the incident's).
    const step = (sid: string) => result.steps.find((s) => s.id === sid)!;
    assert.equal(step('stop-remains').result?.pid, world.gateway.pid);
    assert.equal(step('restart-gateway').result?.pid, pid);
    assert.equal(readPidfile(pidfile), pid, 'no second start');
    const starts = readFileSync(world.gateway.outputPath, 'utf8').match(/\[gateway\] ready/g) ?? [];
    assert.equal(starts.length, 2, 'the gateway started once after the incident stopped it');
    assert.equal((await getProgress(world.env.client, id)).state, 'resolved');
  });
});
