/**
 * Stop and start through a command-driven manager (supervisord, systemd, Docker): record the
 * state found, act, then poll the manager until the new state shows, instead of trusting the
 * command's exit code. The manager's word is checked against the world where the world can
 * be asked: the main pid it named is gone from /proc (same start time), and the service's
 * probe, when the inventory gives one, stops (or starts) answering. Without a probe the
 * result says that the manager's state is the only witness.
 */
import type { PlannedEffect, ServiceManager, StepResult } from '../../contract';
import type { ActivityDeps } from '../deps';
import { StepError } from '../errors';
import { pollUntil, withHeartbeat, type StepIO } from '../step';
import { managedAdapter, type Probe, type ServiceState } from './adapter';
import { findStopRecord, startUndo, stopUndo, type StopRecord } from './records';
import { identify, type ProcessIdentity } from '../process';
import { awaitLiveness, downProof, goneProof, proofWords, upProof, type Proof } from './liveness';

type Managed = Exclude<ServiceManager, { kind: 'process' }>;

/** How long a manager may take to show the new state after its command returned. */
const SETTLE_GRACE_MS = 10_000;

function prober(deps: ActivityDeps, io?: StepIO): Probe {
  return (argv) => deps.run(argv, { timeoutMs: 60_000, ...(io ? { signal: io.signal } : {}) });
}

/** How long a stopped service's probe may keep answering, or a started one take to answer. */
const PROBE_GRACE_MS = 10_000;

function managerProof(label: string, state: ServiceState, claimRunning: boolean): Proof {
  return { check: 'manager-state', target: label, ok: state.running === claimRunning, detail: state.detail };
}

/** Words for a result that only the manager vouches for. */
const NO_PROBE = 'the manager is the only witness: add probe: {port}, {url} or {processMatch} to the service in the inventory';

/**
 * The manager says the service is down: with a probe, the world must agree, or the inventory
 * names the wrong program, unit or container.
 */
async function confirmDown(service: string, m: Managed, label: string, state: ServiceState): Promise<Proof[]> {
  const proof = [managerProof(label, state, false)];
  if (!m.probe) return proof;
  const now = await awaitLiveness(m.probe, false, 0);
  if (now.alive) {
    throw new StepError(
      'TargetNotFound',
      `${label} says ${state.detail}, yet ${service} answers at ${now.target} (${now.detail}): the inventory names the wrong ${m.kind} target for ${service}; fix services.${service}.manager`,
    );
  }
  return [...proof, downProof(now)];
}

export async function planManagedStop(deps: ActivityDeps, service: string, m: Managed, graceMs: number): Promise<PlannedEffect[]> {
  const adapter = managedAdapter(m);
  const state = await adapter.state(prober(deps));
  if (!state.running && !state.enabled) {
    await confirmDown(service, m, adapter.label, state);
    return [];
  }
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
    const proof = await confirmDown(service, m, adapter.label, prior);
    return {
      summary: `${service} (${adapter.label}) was not running: ${proofWords(proof)}${m.probe ? '' : ` (${NO_PROBE})`}`,
      data: { service, wasRunning: false, prior, proof, undo: null },
    };
  }
  // The main process as it is now, so "gone" below means this very process.
  const main: ProcessIdentity | undefined = prior.pid !== undefined ? identify(prior.pid) : undefined;
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
  const proof = [managerProof(adapter.label, now, false)];
  if (main) {
    const gone = goneProof(main);
    if (!gone.ok) throw new StepError('VerificationFailed', `${adapter.label} says ${now.detail}, but its main process pid ${main.pid} is still alive`);
    proof.push(gone);
  }
  if (m.probe) {
    const quiet = await awaitLiveness(m.probe, false, PROBE_GRACE_MS, () => io.heartbeat());
    if (quiet.alive)
      throw new StepError(
        'VerificationFailed',
        `${adapter.label} says ${now.detail}, but ${service} still answers at ${quiet.target} (${quiet.detail}): something else serves it; check services.${service}.manager`,
      );
    proof.push(downProof(quiet));
  }
  return {
    summary: `stopped ${service} (${adapter.label}): ${proofWords(proof)}${m.probe ? '' : ` (${NO_PROBE})`}`,
    data: { service, wasRunning: true, prior, now, argv, proof, undo: startUndo(service, m) },
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
  const proof = [managerProof(adapter.label, now, true)];
  if (m.probe) {
    const live = await awaitLiveness(m.probe, true, PROBE_GRACE_MS, () => io.heartbeat());
    if (!live.alive) throw new StepError('VerificationFailed', `${adapter.label} says ${now.detail}, but ${live.target} does not answer (${live.detail})`);
    proof.push(upProof(live));
  }
  return {
    summary: `started ${service} (${adapter.label}): ${proofWords(proof)}`,
    data: { service, startedByThisStep: true, now, argv, proof, undo: stopUndo(service, m) },
  };
}
