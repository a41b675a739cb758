/**
 * Restart a service that is running, so it reads a new secret; leave a stopped one stopped
 * (a service frozen earlier in the incident stays frozen until its own startService step).
 */
import type { ServiceManager } from '../../contract';
import type { ActivityDeps } from '../deps';
import { StepError } from '../errors';
import { isAlive, launchRecord, readPidfile, sleep } from '../process';
import { pollUntil, withHeartbeat, type StepIO } from '../step';
import { managedAdapter } from './adapter';
import { spawnService, terminate } from './process';

export interface RestartOutcome {
  service: string;
  restarted: boolean;
  detail: string;
}

const GRACE_MS = 10_000;

export function restartPlan(service: string, manager: ServiceManager): string {
  if (manager.kind === 'process')
    return `if ${service} is running (pidfile ${manager.pidfile}): SIGTERM its group and start it again with the same argv and cwd`;
  return `if ${service} is running: ${JSON.stringify(managedAdapter(manager).restartArgv(GRACE_MS))}, then check it runs`;
}

export async function restartIfRunning(deps: ActivityDeps, io: StepIO, service: string, manager: ServiceManager): Promise<RestartOutcome> {
  if (manager.kind === 'process') {
    const pid = readPidfile(manager.pidfile);
    if (pid === undefined || !isAlive(pid)) return { service, restarted: false, detail: 'not running: it reads the new value when it starts' };
    const launch = launchRecord(pid);
    await terminate(io, pid, GRACE_MS);
    const started = spawnService(deps.home, io.key.workflowId, service, launch, manager.pidfile);
    await sleep(500);
    if (!isAlive(started.pid))
      throw new StepError('VerificationFailed', `${service} exited right after its restart (code ${started.exitCode()}); see ${started.logFile}`);
    return { service, restarted: true, detail: `pid ${pid} → ${started.pid}` };
  }
  const adapter = managedAdapter(manager);
  const probe = (argv: string[]) => deps.run(argv, { signal: io.signal, timeoutMs: 60_000 });
  const before = await adapter.state(probe);
  if (!before.running) return { service, restarted: false, detail: `not running (${before.detail}): it reads the new value when it starts` };
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
  return { service, restarted: true, detail: now.detail };
}
