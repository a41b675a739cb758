/**
 * The process manager: a pidfile and its process group.
 *
 * Stop records how the process was started (argv, cwd) so that the incident can bring back
 * exactly what was running. It does not record the environment: a service's secrets belong
 * in its env file, and restarting with the old environment would resurrect a rotated key.
 */
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import type { PlannedEffect, ServiceManager, StepResult } from '../../contract';
import type { ActivityDeps } from '../deps';
import { StepError } from '../errors';
import { incidentDir } from '../journal';
import { isAlive, launchRecord, processGroup, readPidfile, signal, sleep, type LaunchRecord } from '../process';
import type { StepIO } from '../step';
import { findStopRecord, startUndo, stopUndo, type StopRecord } from './records';

type ProcessManager = Extract<ServiceManager, { kind: 'process' }>;

export function planProcessStop(service: string, m: ProcessManager, graceMs: number): PlannedEffect[] {
  const pid = readPidfile(m.pidfile);
  if (pid === undefined || !isAlive(pid)) return [];
  return [{ kind: 'signal', detail: `send SIGTERM to ${service} (pid ${pid}, ${JSON.stringify(launchRecord(pid).argv)}), SIGKILL after ${graceMs} ms` }];
}

export async function stopProcess(io: StepIO, service: string, m: ProcessManager, graceMs: number): Promise<StepResult> {
  const pid = readPidfile(m.pidfile);
  const earlier = io.pending?.record as StopRecord | undefined;
  if (pid === undefined || !isAlive(pid)) {
    if (earlier?.pid)
      return { summary: `${service} stopped (pid ${earlier.pid})`, data: { service, pid: earlier.pid, wasRunning: true, undo: startUndo(service, m) } };
    return { summary: `${service} was not running`, data: { service, wasRunning: false, undo: null } };
  }
  io.markPending({ service, manager: m, pid, launch: launchRecord(pid) } satisfies StopRecord);

  const started = Date.now();
  const used = await terminate(io, pid, graceMs);
  const ms = Date.now() - started;
  return {
    summary: `stopped ${service} (pid ${pid}) with ${used} in ${ms} ms`,
    data: { service, pid, signal: used, ms, wasRunning: true, undo: startUndo(service, m) },
  };
}

export function planProcessStart(service: string, m: ProcessManager): PlannedEffect[] {
  const pid = readPidfile(m.pidfile);
  // In a drill the earlier stop was only planned, so the service usually still runs: say
  // what a live run would start, which is the command line running now.
  const now = pid !== undefined && isAlive(pid) ? ` (now running as pid ${pid}: ${JSON.stringify(launchRecord(pid).argv)})` : '';
  return [{ kind: 'spawn', detail: `start ${service} with the command line recorded when this incident stopped it${now}, pid into ${m.pidfile}` }];
}

export async function startProcess(deps: ActivityDeps, io: StepIO, service: string, m: ProcessManager, settleMs: number): Promise<StepResult> {
  const running = readPidfile(m.pidfile);
  const earlier = io.pending?.record as { pid?: number } | undefined;
  if (running !== undefined && isAlive(running)) {
    // Either an earlier attempt of this step started it (its pid is in our record), or it
    // was already up: in both cases starting another copy would be the second effect.
    const ours = earlier?.pid === running;
    return {
      summary: `${service} running (pid ${running})`,
      data: { service, pid: running, startedByThisStep: ours, undo: ours ? stopUndo(service, m) : null },
    };
  }
  const stop = findStopRecord(io.journal.all(io.key.workflowId), service);
  if (!stop?.launch) {
    throw new StepError('TargetNotFound', `no record of stopping "${service}" in this incident: add a stopService step for it before this step`);
  }
  const program = stop.launch.argv[0];
  io.markPending({ starting: true });
  const { pid, logFile, exitCode } = spawnService(deps.home, io.key.workflowId, service, stop.launch, m.pidfile);
  io.markPending({ pid });
  await sleep(settleMs);
  if (!isAlive(pid)) throw new StepError('CommandFailed', `${service} exited right after start (code ${exitCode()}); its output is in ${logFile}`);
  return {
    summary: `started ${service} (pid ${pid})`,
    data: { service, pid, argv0: program, log: logFile, startedByThisStep: true, undo: stopUndo(service, m) },
  };
}

/**
 * SIGTERM the process (its whole group when it leads one, never our own group, which would
 * take the worker down with it), SIGKILL after the grace period; done only when /proc shows
 * it gone.
 */
export async function terminate(io: Pick<StepIO, 'heartbeat'>, pid: number, graceMs: number): Promise<'SIGTERM' | 'SIGKILL'> {
  const pgid = processGroup(pid);
  const target = pgid === pid && pgid !== process.pid && pgid !== processGroup(process.pid) ? -pid : pid;
  signal(target, 'SIGTERM');
  let used: 'SIGTERM' | 'SIGKILL' = 'SIGTERM';
  await goneWithin(io, pid, graceMs);
  if (isAlive(pid)) {
    used = 'SIGKILL';
    signal(target, 'SIGKILL');
    await goneWithin(io, pid, 5_000);
  }
  // Trust /proc, not the signal call.
  if (isAlive(pid)) throw new StepError('VerificationFailed', `pid ${pid} is still alive after SIGKILL`);
  return used;
}

/**
 * Wait until /proc shows `pid` gone or `ms` pass. Most processes go within a few milliseconds
 * of the signal, so look every millisecond at first and back off to 50 ms; heartbeat only once
 * the wait is long enough for a heartbeat to matter (the first one is a server write).
 */
async function goneWithin(io: Pick<StepIO, 'heartbeat'>, pid: number, ms: number): Promise<void> {
  const started = Date.now();
  let lastBeat = started;
  for (let every = 1; isAlive(pid) && Date.now() - started < ms; every = Math.min(50, every * 1.5)) {
    if (Date.now() - lastBeat >= 1_000) {
      io.heartbeat();
      lastBeat = Date.now();
    }
    await sleep(Math.floor(every));
  }
}

/**
 * Start a service detached in its own process group, as its init would, with a minimal
 * environment; output to `incidents/<id>/services/<service>.log`. The pidfile is written in
 * the same tick as the spawn, so a retry finds the pid and does not start a second copy.
 */
export function spawnService(
  home: string,
  workflowId: string,
  service: string,
  launch: LaunchRecord,
  pidfile: string,
): { pid: number; logFile: string; exitCode: () => number | null } {
  const [program, ...rest] = launch.argv;
  if (!program) throw new StepError('TargetNotFound', `the launch record of "${service}" has no command line`);
  const logDir = join(incidentDir(home, workflowId), 'services');
  mkdirSync(logDir, { recursive: true, mode: 0o700 });
  const logFile = join(logDir, `${service}.log`);
  const out = openSync(logFile, 'a', 0o600);
  const child = spawn(program, rest, {
    cwd: launch.cwd,
    detached: true,
    stdio: ['ignore', out, out],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/', LANG: process.env.LANG ?? 'C.UTF-8' },
  });
  closeSync(out);
  const pid = child.pid;
  if (pid === undefined) throw new StepError('CommandFailed', `could not start ${program}`);
  mkdirSync(dirname(pidfile), { recursive: true });
  writeFileSync(pidfile, `${pid}\n`);
  child.unref();
  let exit: number | null = null;
  child.once('exit', (code) => (exit = code));
  return { pid, logFile, exitCode: () => exit };
}
