/**
 * The gateway as a process: found through its lock file (pid and start time, so a reused pid
 * is never signalled), stopped with SIGTERM then SIGKILL, and started again the way its
 * inventory service runs it (a session of its own, its env file, cwd and log: the launcher of
 * activities/service), then awaited until `/readyz` answers 200.
 */
import { join } from 'node:path';
import type { OpenClawGateway, ServiceManager } from '../../contract';
import type { ActivityDeps } from '../deps';
import { StepError } from '../errors';
import { identify, isSameAlive, type ProcessIdentity } from '../process';
import { launchService, launchSpec } from '../service/launch';
import type { StepIO } from '../step';
import { readiness } from './levers';
import { portClosed, processGone, readGatewayLock, type Proof } from './oracles';
import { httpUrl, requireProof } from './shared';

export type ProcessService = { service: string; manager: Extract<ServiceManager, { kind: 'process' }> };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The running gateway from its lock file, checked to be the live process it names. */
export function gatewayProcess(g: OpenClawGateway): { pid: number; startTime: number } {
  const lock = readGatewayLock(g.stateDir);
  if (!lock)
    throw new StepError(
      'TargetNotFound',
      `${g.gateway}: no gateway.state.lock under ${join(g.stateDir, 'tmp')}: no gateway holds ${g.stateDir} (check stateDir)`,
    );
  if (lock.port !== g.port)
    throw new StepError('TargetNotFound', `${g.gateway}: the lock file names port ${lock.port}, the inventory ${g.port}: fix the inventory`);
  if (processGone(lock.pid, lock.startTime).holds)
    throw new StepError(
      'TargetNotFound',
      `${g.gateway}: the lock file names pid ${lock.pid} (start time ${lock.startTime}), which is not running: a stale lock`,
    );
  return { pid: lock.pid, startTime: lock.startTime };
}

/**
 * SIGTERM the gateway process, SIGKILL after `graceMs`; proven by that process (pid and start
 * time) being gone and its port closed. Safe to call again for a process already gone.
 */
export async function stopGatewayProcess(io: Pick<StepIO, 'heartbeat'>, g: OpenClawGateway, target: { pid: number; startTime: number }, graceMs: number) {
  if (!processGone(target.pid, target.startTime).holds) {
    process.kill(target.pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (!processGone(target.pid, target.startTime).holds && Date.now() < deadline) {
      io.heartbeat();
      await sleep(200);
    }
    if (!processGone(target.pid, target.startTime).holds) process.kill(target.pid, 'SIGKILL');
    await sleep(500);
  }
  const proofs = [processGone(target.pid, target.startTime), await portClosed(g.port)];
  requireProof(`the stop of ${g.gateway}`, proofs);
  return proofs;
}

/** The service that runs the gateway, or an error that says which inventory field to set. */
export function serviceOf(g: OpenClawGateway & { service?: ProcessService | undefined }, why: string): ProcessService {
  if (!g.service)
    throw new StepError(
      'TargetNotFound',
      `${g.gateway}: ${why}, and the inventory does not say how it runs: set openclaw.${g.gateway}.service to the process service (pidfile, command, envFile, cwd) that runs it`,
    );
  return g.service;
}

/**
 * Start the gateway as its service runs it, unless the one an earlier attempt started is
 * still alive (`earlier`), and wait until `/readyz` answers 200.
 */
export async function startGatewayService(
  deps: ActivityDeps,
  io: StepIO,
  g: OpenClawGateway,
  svc: ProcessService,
  readyTimeoutMs: number,
  earlier: ProcessIdentity | undefined,
  record: (started: ProcessIdentity) => void,
): Promise<{ process: ProcessIdentity; proofs: Proof[] }> {
  let started = earlier && isSameAlive(earlier) ? earlier : undefined;
  if (!started) {
    const spec = launchSpec(deps.home, io.key.workflowId, svc.service, svc.manager, undefined);
    started = await launchService(svc.service, spec);
    record(started);
  }
  const deadline = Date.now() + readyTimeoutMs;
  let ready = await readiness(httpUrl(g));
  while (ready.httpStatus !== 200 && Date.now() < deadline && isSameAlive(started)) {
    io.heartbeat({ waiting: 'readyz' });
    await sleep(1_000);
    ready = await readiness(httpUrl(g));
  }
  const alive = identify(started.pid);
  const proofs: Proof[] = [
    {
      holds: ready.httpStatus === 200,
      check: `GET ${httpUrl(g)}/readyz answers 200 within ${readyTimeoutMs} ms of the start`,
      observed: `${ready.httpStatus || 'nothing'} ${ready.failing.join(', ')}`.trim(),
    },
    {
      holds: isSameAlive(started),
      check: `the gateway ${svc.service} started (pid ${started.pid}) is alive`,
      observed: alive ? `running (start time ${alive.startTime})` : 'exited',
    },
  ];
  return { process: started, proofs };
}
