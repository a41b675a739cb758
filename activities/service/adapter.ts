/**
 * Service managers driven by commands (supervisord, systemd, Docker) share one shape: a way
 * to read the state, a command to stop and one to start. `managed.ts` runs the common flow
 * (record the prior state, act, then check the new state instead of trusting an exit code).
 */
import type { ServiceManager } from '../../contract';
import type { CommandResult } from '../deps';
import { dockerAdapter } from './docker';
import { supervisordAdapter } from './supervisord';
import { systemdAdapter } from './systemd';

export interface ServiceState {
  /** Up (a timer: active, i.e. scheduled). */
  running: boolean;
  /** Enabled at boot (systemd only; undefined where the manager has no such notion). */
  enabled?: boolean;
  /** The manager's own words, e.g. "RUNNING pid 42" or "ActiveState=inactive". */
  detail: string;
  /** The main process as the manager names it, when it does: checked in /proc after a stop. */
  pid?: number;
}

export type Probe = (argv: string[]) => Promise<CommandResult>;

export interface ManagedAdapter {
  /** e.g. `systemd unit sync.timer (user)`. */
  label: string;
  /** The human status command, captured as evidence. */
  statusArgv: string[];
  /** Read the current state; throws TargetNotFound when the manager does not know the service. */
  state(probe: Probe): Promise<ServiceState>;
  stopArgv(graceMs: number): string[];
  /** The start command that brings back `prior` (e.g. a timer that was enabled is re-enabled). */
  startArgv(prior: ServiceState | undefined): string[];
  /** Restart a running service (so it reads a rotated secret). */
  restartArgv(graceMs: number): string[];
}

export function managedAdapter(manager: Exclude<ServiceManager, { kind: 'process' }>): ManagedAdapter {
  switch (manager.kind) {
    case 'supervisord':
      return supervisordAdapter(manager);
    case 'systemd':
      return systemdAdapter(manager);
    case 'docker':
      return dockerAdapter(manager);
  }
}
