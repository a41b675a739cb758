/**
 * stopService / startService, through the service's manager: a local process (pidfile),
 * supervisord, systemd (units and timers) or Docker.
 */
import type { ActivityDeps } from '../deps';
import { defineStep } from '../step';
import { planManagedStart, planManagedStop, startManaged, stopManaged } from './managed';
import { planProcessStart, planProcessStop, startProcess, stopProcess } from './process';

export function serviceActivities(deps: ActivityDeps) {
  const stopService = defineStep(deps, 'stopService', {
    plan: ({ service, manager, graceMs }) =>
      manager.kind === 'process' ? planProcessStop(service, manager, graceMs) : planManagedStop(deps, service, manager, graceMs),
    run: (io, { service, manager, graceMs }) =>
      manager.kind === 'process' ? stopProcess(io, service, manager, graceMs) : stopManaged(deps, io, service, manager, graceMs),
  });

  const startService = defineStep(deps, 'startService', {
    plan: ({ service, manager }) => (manager.kind === 'process' ? planProcessStart(service, manager) : planManagedStart(deps, service, manager)),
    run: (io, { service, manager, settleMs }) =>
      manager.kind === 'process' ? startProcess(deps, io, service, manager, settleMs) : startManaged(deps, io, service, manager, settleMs),
  });

  return { stopService, startService };
}

export { managedAdapter } from './adapter';
