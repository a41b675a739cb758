/**
 * Stop and start through a command-driven manager (supervisord, systemd, Docker): record the
 * state found, act, then poll the manager until the new state shows, instead of trusting the
 * command's exit code.
 */
import type { PlannedEffect, ServiceManager, StepResult } from '../../contract';
import type { ActivityDeps } from '../deps';
import { StepError } from '../errors';
import { pollUntil, withHeartbeat, type StepIO } from '../step';
import { managedAdapter, type Probe, type ServiceState } from './adapter';
import { findStopRecord, startUndo, stopUndo, type StopRecord } from './records';

type Managed = Exclude<ServiceManager, { kind: 'process' }>;

/** How long a manager may take to show the new state after its command returned. */
const SETTLE_GRACE_MS = 10_000;

function prober(deps: ActivityDeps, io?: StepIO): Probe {
  return (argv) => deps.run(argv, { timeoutMs: 60_000, ...(io ? { signal: io.signal } : {}) });
}

export async function planManagedStop(deps: ActivityDeps, service: string, m: Managed, graceMs: number): Promise<PlannedEffect[]> {
  const adapter = managedAdapter(m);
  const state = await adapter.state(prober(deps));
  if (!state.running && !state.enabled) return [];
  return [{ kind: 'command', detail: `run ${JSON.stringify(adapter.stopArgv(graceMs))} (${adapter.label} is ${state.detail}), then check it is stopped` }];
}

export async function stopManaged(deps: ActivityDeps, io: StepIO, service: string, m: Managed, graceMs: number): Promise<StepResult> {
  const adapter = managedAdapter(m);
  const probe = prober(deps, io);
  const earlier = io.pending?.record as StopRecord | undefined;
  // A retry must not take the state its own earlier attempt left for the state it found.
  const prior = earlier?.prior ?? (await adapter.state(probe));
  if (!earlier) io.markPending({ service, manager: m, prior } satisfies StopRecord);
  if (!prior.running && !prior.enabled) {
    return { summary: `${service} (${adapter.label}) was not running: ${prior.detail}`, data: { service, wasRunning: false, prior, undo: null } };
  }
  const argv = adapter.stopArgv(graceMs);
  const result = await withHeartbeat(io, deps.run(argv, { signal: io.signal, timeoutMs: graceMs + 60_000 }));
  const now = await pollUntil(
    io,
    () => adapter.state(probe),
    (s) => !s.running,
    graceMs + SETTLE_GRACE_MS,
  );
  if (now.running) {
    throw new StepError(
      'VerificationFailed',
      `${adapter.label} still running after ${JSON.stringify(argv)} (exit ${result.exitCode}): ${now.detail} ${result.stderr.trim().slice(0, 200)}`,
    );
  }
  return {
    summary: `stopped ${service} (${adapter.label}): ${now.detail}`,
    data: { service, wasRunning: true, prior, now, argv, undo: startUndo(service, m) },
  };
}

export async function planManagedStart(deps: ActivityDeps, service: string, m: Managed): Promise<PlannedEffect[]> {
  const adapter = managedAdapter(m);
  const state = await adapter.state(prober(deps));
  if (state.running) return [];
  return [
    {
      kind: 'command',
      detail: `run ${JSON.stringify(adapter.startArgv(undefined))} if this incident found ${adapter.label} running (or did not stop it), then check it runs`,
    },
  ];
}

export async function startManaged(deps: ActivityDeps, io: StepIO, service: string, m: Managed, settleMs: number): Promise<StepResult> {
  const adapter = managedAdapter(m);
  const probe = prober(deps, io);
  const stop = findStopRecord(io.journal.all(io.key.workflowId), service);
  if (stop?.prior && !stop.prior.running && !stop.prior.enabled) {
    // Recovery brings back what was running, and this was not.
    return { summary: `${service} left stopped: it was not running when this incident stopped it`, data: { service, startedByThisStep: false, undo: null } };
  }
  const current = await adapter.state(probe);
  const ours = (io.pending?.record as { starting?: boolean } | undefined)?.starting === true;
  if (current.running) {
    return {
      summary: `${service} (${adapter.label}) running: ${current.detail}`,
      data: { service, startedByThisStep: ours, now: current, undo: ours ? stopUndo(service, m) : null },
    };
  }
  io.markPending({ starting: true });
  const argv = adapter.startArgv(stop?.prior);
  const result = await withHeartbeat(io, deps.run(argv, { signal: io.signal, timeoutMs: 120_000 }));
  let now: ServiceState = await pollUntil(
    io,
    () => adapter.state(probe),
    (s) => s.running,
    settleMs + SETTLE_GRACE_MS,
  );
  if (now.running && settleMs > 0) {
    // Up once is not up: a crash-looping service shows running for a moment.
    await new Promise((r) => setTimeout(r, settleMs));
    now = await adapter.state(probe);
  }
  if (!now.running) {
    throw new StepError(
      'VerificationFailed',
      `${adapter.label} not running after ${JSON.stringify(argv)} (exit ${result.exitCode}): ${now.detail} ${result.stderr.trim().slice(0, 200)}`,
    );
  }
  return { summary: `started ${service} (${adapter.label}): ${now.detail}`, data: { service, startedByThisStep: true, now, argv, undo: stopUndo(service, m) } };
}
