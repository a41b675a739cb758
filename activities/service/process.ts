/**
 * The process manager: a pidfile and its process group.
 *
 * Nothing is taken on the pidfile's word. A pid counts as the service only while it is alive,
 * started before the pidfile was written (else the pid was reused) and matches the probe's
 * `processMatch` when there is one. When the pidfile names nothing, "was not running" is said
 * only when the service's liveness probe agrees; otherwise the step fails and says what to fix.
 * A stop is proven by the process with that start time being gone and the probe going quiet.
 *
 * Stop records how the process was started (argv, cwd) so that an inventory without a
 * `command` can still bring back what was running. It does not record the environment: a
 * service's secrets belong in its env file, and restarting with the old environment would
 * resurrect a rotated key.
 */
import { existsSync, statSync } from 'node:fs';
import type { PlannedEffect, ServiceManager, StepResult } from '../../contract';
import type { ActivityDeps } from '../deps';
import { StepError } from '../errors';
import {
  commandLine,
  identify,
  isAlive,
  isSameAlive,
  launchRecord,
  processGroup,
  readPidfile,
  sessionOf,
  signal,
  sleep,
  startedAtMs,
  type LaunchRecord,
  type ProcessIdentity,
} from '../process';
import type { StepIO } from '../step';
import { launchService, launchSpec } from './launch';
import { awaitLiveness, downProof, goneProof, probeLabel, probeLiveness, proofWords, upProof, type Proof } from './liveness';
import { findStopRecord, startUndo, stopUndo, type StopRecord } from './records';

type ProcessManager = Extract<ServiceManager, { kind: 'process' }>;

/** How long a stopped service's probe may keep answering (a socket closing) before that counts. */
const QUIET_GRACE_MS = 5_000;
/** How long a started service may take to answer its probe. */
const ANSWER_GRACE_MS = 15_000;
/** /proc start times are exact to the tick, boot time only to the second. */
const CLOCK_SLACK_MS = 2_000;

export type Located = { found: true; process: ProcessIdentity; launch: LaunchRecord } | { found: false; why: string };

/** The process the pidfile names, if it really is the service; else why not, in words. */
export function locate(m: ProcessManager): Located {
  if (!existsSync(m.pidfile)) return { found: false, why: `pidfile ${m.pidfile} does not exist` };
  const pid = readPidfile(m.pidfile);
  if (pid === undefined) return { found: false, why: `pidfile ${m.pidfile} holds no pid` };
  const process = identify(pid);
  if (!process) return { found: false, why: `pidfile ${m.pidfile} names pid ${pid}, which is not running (a stale pidfile)` };
  const command = commandLine(pid) ?? '?';
  const started = startedAtMs(pid);
  if (started !== undefined && started > statSync(m.pidfile).mtimeMs + CLOCK_SLACK_MS) {
    return {
      found: false,
      why: `pidfile ${m.pidfile} names pid ${pid}, but that process (${command}) started after the pidfile was written: a stale pidfile whose pid was reused`,
    };
  }
  if (m.probe && 'processMatch' in m.probe && !new RegExp(m.probe.processMatch).test(command)) {
    return { found: false, why: `pidfile ${m.pidfile} names pid ${pid} (${command}), which does not match the probe /${m.probe.processMatch}/` };
  }
  return { found: true, process, launch: launchRecord(pid) };
}

/**
 * The pidfile names nothing: prove the service is really down with its probe, or fail with
 * what to fix. Used by the drill too, so it finds the same problem before anything changes.
 */
export async function confirmNotRunning(service: string, m: ProcessManager, why: string): Promise<Proof[]> {
  if (!m.probe) {
    throw new StepError(
      'TargetNotFound',
      `${service}: ${why}, and the inventory gives it no liveness probe to confirm it is down. Fix services.${service}.manager.pidfile (the absolute path the running ${service} writes), or add probe: {port: N}, {url: "..."} or {processMatch: "..."} to services.${service}`,
    );
  }
  const now = await probeLiveness(m.probe);
  if (now.alive) {
    throw new StepError(
      'TargetNotFound',
      `${service}: ${why}, yet ${service} is running (${now.target} ${now.detail}). Nothing was stopped: fix services.${service}.manager.pidfile to the file the running ${service} writes`,
    );
  }
  return [{ check: 'pidfile', target: m.pidfile, ok: true, detail: why }, downProof(now)];
}

export async function planProcessStop(service: string, m: ProcessManager, graceMs: number): Promise<PlannedEffect[]> {
  const at = locate(m);
  if (!at.found) {
    await confirmNotRunning(service, m, at.why);
    return [];
  }
  const { pid, startTime } = at.process;
  return [
    {
      kind: 'signal',
      detail: `send SIGTERM to ${service} (pid ${pid}, start time ${startTime}, ${JSON.stringify(at.launch.argv)}), SIGKILL after ${graceMs} ms; then check that process is gone${m.probe ? ` and ${probeLabel(m.probe)} no longer answers` : ''}`,
    },
  ];
}

/** The proof that `stopped` is down: that process gone and, with a probe, the service silent. */
async function stoppedProof(io: StepIO, service: string, m: ProcessManager, stopped: ProcessIdentity): Promise<Proof[]> {
  const gone = goneProof(stopped);
  if (!gone.ok) throw new StepError('VerificationFailed', `pid ${stopped.pid} of ${service} is still alive`);
  if (!m.probe) return [gone];
  const now = await awaitLiveness(m.probe, false, QUIET_GRACE_MS, () => io.heartbeat());
  if (now.alive) {
    throw new StepError(
      'VerificationFailed',
      `pid ${stopped.pid} of ${service} is gone, but ${now.target} still answers (${now.detail}): another process serves ${service}; check services.${service}.manager.pidfile names the right one`,
    );
  }
  return [gone, downProof(now)];
}

export async function stopProcess(io: StepIO, service: string, m: ProcessManager, graceMs: number): Promise<StepResult> {
  const earlier = io.pending?.record as StopRecord | undefined;
  const undo = startUndo(service, m);
  if (earlier?.process) {
    // A retry: finish stopping the very process the first attempt found, whatever the pidfile says now.
    const started = Date.now();
    const used = isSameAlive(earlier.process) ? await terminate(io, earlier.process.pid, graceMs) : undefined;
    const proof = await stoppedProof(io, service, m, earlier.process);
    return {
      summary: `stopped ${service} (pid ${earlier.process.pid}${used ? ` with ${used}` : ''}): ${proofWords(proof)}`,
      data: { service, pid: earlier.process.pid, ...(used ? { signal: used } : {}), ms: Date.now() - started, wasRunning: true, proof, undo },
    };
  }
  if (earlier?.pid !== undefined && !earlier.process && !isAlive(earlier.pid)) {
    // A retry of an attempt recorded before start times were: that pid is gone, and it was ours.
    const proof: Proof[] = [{ check: 'process-gone', target: `pid ${earlier.pid}`, ok: true, pid: earlier.pid, detail: 'no such process' }];
    return { summary: `${service} stopped (pid ${earlier.pid})`, data: { service, pid: earlier.pid, wasRunning: true, proof, undo } };
  }
  const at = locate(m);
  if (!at.found) {
    const proof = await confirmNotRunning(service, m, at.why);
    io.markPending({ service, manager: m, wasRunning: false } satisfies StopRecord);
    return { summary: `${service} was not running: ${proofWords(proof)}`, data: { service, wasRunning: false, proof, undo: null } };
  }
  const { pid } = at.process;
  io.markPending({ service, manager: m, pid, process: at.process, launch: at.launch } satisfies StopRecord);
  const started = Date.now();
  const used = await terminate(io, pid, graceMs);
  const ms = Date.now() - started;
  const proof = await stoppedProof(io, service, m, at.process);
  return {
    summary: `stopped ${service} (pid ${pid}) with ${used} in ${ms} ms: ${proofWords(proof)}`,
    data: { service, pid, signal: used, ms, wasRunning: true, proof, undo },
  };
}

export function planProcessStart(service: string, m: ProcessManager): PlannedEffect[] {
  const at = locate(m);
  // In a drill the earlier stop was only planned, so the service usually still runs: say
  // what a live run would start.
  const now = at.found ? ` (now running as pid ${at.process.pid}: ${JSON.stringify(at.launch.argv)})` : '';
  const how = m.command ? `${JSON.stringify(m.command)}` : 'the command line recorded when this incident stopped it';
  const where = [m.cwd ? `in ${m.cwd}` : '', m.envFile ? `with the variables of ${m.envFile}` : '', m.logFile ? `appending to ${m.logFile}` : ''].filter(
    Boolean,
  );
  return [
    {
      kind: 'spawn',
      detail: `start ${service} in a session of its own with ${how}${where.length ? ` ${where.join(', ')}` : ''}${now}, pid into ${m.pidfile}; then check it stays up${m.probe ? ` and ${probeLabel(m.probe)} answers` : ''}`,
    },
  ];
}

/** The proof that `p` is up: alive after `settleMs`, in its own session, and answering its probe. */
export async function runningProof(io: StepIO, service: string, m: ProcessManager, p: ProcessIdentity, settleMs: number, logFile?: string): Promise<Proof[]> {
  await sleep(settleMs);
  const where = logFile ? `; its output is in ${logFile}` : '';
  if (!isSameAlive(p)) throw new StepError('CommandFailed', `${service} (pid ${p.pid}) exited right after start${where}`);
  const proof: Proof[] = [
    { check: 'process-running', target: `pid ${p.pid}`, ok: true, pid: p.pid, startTime: p.startTime, detail: `session ${sessionOf(p.pid)}` },
  ];
  if (!m.probe) return proof;
  const now = await awaitLiveness(m.probe, true, ANSWER_GRACE_MS, () => io.heartbeat());
  if (!now.alive)
    throw new StepError(
      'VerificationFailed',
      `${service} runs as pid ${p.pid} but ${now.target} does not answer (${now.detail}) after ${ANSWER_GRACE_MS} ms${where}`,
    );
  return [...proof, upProof(now)];
}

export async function startProcess(deps: ActivityDeps, io: StepIO, service: string, m: ProcessManager, settleMs: number): Promise<StepResult> {
  const earlier = io.pending?.record as { pid?: number } | undefined;
  const at = locate(m);
  if (at.found) {
    // Either an earlier attempt of this step started it (its pid is in our record), or it
    // was already up: in both cases starting another copy would be the second effect.
    const ours = earlier?.pid === at.process.pid;
    const proof = await runningProof(io, service, m, at.process, 0);
    return {
      summary: `${service} running (pid ${at.process.pid}): ${proofWords(proof)}`,
      data: { service, pid: at.process.pid, startedByThisStep: ours, proof, undo: ours ? stopUndo(service, m) : null },
    };
  }
  const stop = findStopRecord(io.journal.all(io.key.workflowId), service);
  if (stop?.wasRunning === false) {
    // Recovery brings back what was running, and this was not (its probe said so).
    return { summary: `${service} left stopped: it was not running when this incident stopped it`, data: { service, startedByThisStep: false, undo: null } };
  }
  const spec = launchSpec(deps.home, io.key.workflowId, service, m, stop?.launch);
  io.markPending({ starting: true });
  const started = await launchService(service, spec);
  io.markPending({ pid: started.pid, process: started });
  const proof = await runningProof(io, service, m, started, settleMs, spec.logFile);
  return {
    summary: `started ${service} (pid ${started.pid}) in its own session, logging to ${spec.logFile}: ${proofWords(proof)}`,
    data: {
      service,
      pid: started.pid,
      argv0: spec.argv[0],
      cwd: spec.cwd,
      // Names only: the values (a rotated key among them) never leave the child's environment.
      envFile: m.envFile ?? null,
      envKeys: Object.keys(spec.env).sort(),
      log: spec.logFile,
      startedByThisStep: true,
      proof,
      undo: stopUndo(service, m),
    },
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
