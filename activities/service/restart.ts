/**
 * Restart a service that is running, so it reads a new secret; leave a stopped one stopped
 * (a service frozen earlier in the incident stays frozen until its own startService step).
 * "Not running" needs the same proof as a stop's: this incident's own stop of that very
 * process, or the service's probe.
 */
import type { ServiceManager } from '../../contract';
import type { ActivityDeps } from '../deps';
import { StepError } from '../errors';
import { isSameAlive } from '../process';
import { pollUntil, withHeartbeat, type StepIO } from '../step';
import { managedAdapter } from './adapter';
import { launchService, launchSpec } from './launch';
import { awaitLiveness, downProof, goneProof, probeLabel, proofWords, upProof, type Proof } from './liveness';
import { confirmNotRunning, locate, runningProof, terminate } from './process';
import { findStopRecord } from './records';

export interface RestartOutcome {
  service: string;
  restarted: boolean;
  detail: string;
  /** The checks that proved the outcome (absent in outcomes recorded before proofs existed). */
  proof?: Proof[];
}

const GRACE_MS = 10_000;

export function restartPlan(service: string, manager: ServiceManager): string {
  const check = manager.probe ? ` and ${probeLabel(manager.probe)} answers` : '';
  if (manager.kind === 'process')
    return `if ${service} is running (pidfile ${manager.pidfile}): SIGTERM its group and start it again ${manager.command ? `with ${JSON.stringify(manager.command)}` : 'with the same argv and cwd'}${manager.envFile ? ` and the variables of ${manager.envFile}` : ''} in a session of its own, then check it runs${check}`;
  return `if ${service} is running: ${JSON.stringify(managedAdapter(manager).restartArgv(GRACE_MS))}, then check it runs${check}`;
}

/** For a drill: fail as the live restart would when the service cannot be found. */
export async function checkRestartable(service: string, manager: ServiceManager): Promise<void> {
  if (manager.kind !== 'process') return;
  const at = locate(manager);
  if (!at.found) await confirmNotRunning(service, manager, at.why);
}

export async function restartIfRunning(deps: ActivityDeps, io: StepIO, service: string, manager: ServiceManager): Promise<RestartOutcome> {
  if (manager.kind === 'process') {
    const at = locate(manager);
    if (!at.found) {
      const stop = findStopRecord(io.journal.all(io.key.workflowId), service);
      const proof = stop?.process && !isSameAlive(stop.process) ? [goneProof(stop.process)] : await confirmNotRunning(service, manager, at.why);
      return { service, restarted: false, detail: `not running (${proofWords(proof)}): it reads the new value when it starts`, proof };
    }
    await terminate(io, at.process.pid, GRACE_MS);
    const gone = goneProof(at.process);
    const spec = launchSpec(deps.home, io.key.workflowId, service, manager, at.launch);
    const started = await launchService(service, spec);
    const proof = [gone, ...(await runningProof(io, service, manager, started, 500, spec.logFile))];
    return { service, restarted: true, detail: `pid ${at.process.pid} → ${started.pid}: ${proofWords(proof)}`, proof };
  }
  const adapter = managedAdapter(manager);
  const probe = (argv: string[]) => deps.run(argv, { signal: io.signal, timeoutMs: 60_000 });
  const before = await adapter.state(probe);
  if (!before.running) {
    const proof: Proof[] = [{ check: 'manager-state', target: adapter.label, ok: true, detail: before.detail }];
    if (manager.probe) {
      const now = await awaitLiveness(manager.probe, false, 0);
      if (now.alive)
        throw new StepError(
          'TargetNotFound',
          `${adapter.label} says ${before.detail}, yet ${service} answers at ${now.target} (${now.detail}): the inventory names the wrong ${manager.kind} target for ${service}`,
        );
      proof.push(downProof(now));
    }
    return { service, restarted: false, detail: `not running (${proofWords(proof)}): it reads the new value when it starts`, proof };
  }
  const argv = adapter.restartArgv(GRACE_MS);
  const result = await withHeartbeat(io, deps.run(argv, { signal: io.signal, timeoutMs: GRACE_MS + 60_000 }));
  const now = await pollUntil(
    io,
    () => adapter.state(probe),
    (s) => s.running,
    GRACE_MS,
  );
  if (!now.running)
    throw new StepError('VerificationFailed', `${adapter.label} not running after ${JSON.stringify(argv)} (exit ${result.exitCode}): ${now.detail}`);
  const proof: Proof[] = [{ check: 'manager-state', target: adapter.label, ok: true, detail: now.detail }];
  if (manager.probe) {
    const live = await awaitLiveness(manager.probe, true, GRACE_MS, () => io.heartbeat());
    if (!live.alive)
      throw new StepError('VerificationFailed', `${adapter.label} restarted (${now.detail}) but ${live.target} does not answer (${live.detail})`);
    proof.push(upProof(live));
  }
  return { service, restarted: true, detail: `${now.detail}: ${proofWords(proof)}`, proof };
}
