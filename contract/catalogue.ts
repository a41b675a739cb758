/**
 * The action catalogue: every fact about an action in one entry. The tables the rest of the
 * engine uses (mutating actions, default phases, timeout presets, undo, the ordering rules'
 * lists, the note's sections) derive from it, and `satisfies Record<ActionName, ActionTraits>`
 * makes an incomplete entry a compile error. Each action's argument schema sits beside it in
 * `actions.ts`, keyed by the same names.
 *
 * Pure and free of zod: the workflow imports it.
 */

/** The runbook's order: freeze, preserve evidence, classify, contain, recover, verify, learn. */
export const PHASES = ['freeze', 'preserve', 'classify', 'contain', 'recover', 'verify', 'learn'] as const;
export type Phase = (typeof PHASES)[number];

export interface ActionTraits {
  /** Changes the system, as opposed to reading it or copying it aside (rule 6: verify never mutates). */
  mutating: boolean;
  /** The phase a step of this action runs in when it does not say. */
  phase: Phase;
  /**
   * Its timeout preset (`TIMEOUTS` in the workflow): `short` local reads and reports, `contain`
   * quick changes that heartbeat (a dead worker is noticed in 10 s), `long` copies that heartbeat.
   */
  timeout: 'short' | 'contain' | 'long';
  /** Its retry preset (`RETRY` in the workflow). */
  retry: 'standard' | 'patient';
  /**
   * How a cancelled incident undoes it: `nothing` (it changed nothing), `engine` (the engine's
   * own mapping in workflows/undo.ts, or what the step's result reports), `impossible` (it can
   * never be undone, e.g. a rotated credential stays dead).
   */
  undo: 'nothing' | 'engine' | 'impossible';
  /** Rule 3: it investigates (so, for a leaked secret, it must wait for the rotation). */
  investigates: boolean;
  /** Rule 3: it scrubs (moves or rewrites what leaked), so it too waits for the rotation. */
  scrubs: boolean;
  /** Rule 1: it may stand in the freeze phase without stopping anything (an announcement). */
  announces: boolean;
  /** Where the incident note lists a succeeded step: what was contained, or nowhere special. */
  note: 'contained' | 'none';
  /** `workflow`: the workflow records it itself (no activity, no side effect). */
  runsIn: 'activity' | 'workflow';
  /**
   * It may run as a local activity (in the worker that runs the workflow task, no server round
   * trip) when a step puts it in the freeze phase with a start-to-close of at most a minute
   * (`runsLocally` in workflows/presets.ts). Only quick actions whose journal makes a second run
   * finish or replay the first: a local activity whose worker dies is run again from the start
   * when the workflow task times out (10 s), much as a `contain` step's heartbeat timeout does.
   * Freezing is where seconds count, and a chain of freeze steps then costs milliseconds each.
   */
  local: boolean;
  /**
   * Rule 8: the keys of its compiled arguments that name files or folders it moves, rewrites or
   * replaces. None may lie inside the state folder (evidence, snapshots, quarantine, the server's database).
   */
  changesPaths: readonly string[];
  /**
   * It puts back credentials the incident may have rotated away (a restored backup holds the
   * old token): a later step of the playbook must rotate a target it changed.
   */
  revivesCredentials: boolean;
  /**
   * An OpenClaw suspension is a lease the gateway ends by itself (~2 min). `takes`: its result
   * holds one, which the incident renews while it needs the pause (workflows/leases.ts); `ends`:
   * it stops or resumes the gateway, so a pause held on that gateway is no longer renewed once
   * it starts.
   */
  pauseLease: 'none' | 'takes' | 'ends';
}

const reads = {
  mutating: false,
  undo: 'nothing',
  investigates: false,
  scrubs: false,
  announces: false,
  note: 'none',
  runsIn: 'activity',
  local: false,
  changesPaths: [],
  revivesCredentials: false,
  pauseLease: 'none',
} as const;
const changes = {
  mutating: true,
  undo: 'engine',
  investigates: false,
  scrubs: false,
  announces: false,
  note: 'none',
  runsIn: 'activity',
  local: false,
  changesPaths: [],
  revivesCredentials: false,
  pauseLease: 'none',
} as const;

export const ACTIONS = {
  stopService: { ...changes, phase: 'freeze', timeout: 'contain', retry: 'standard', note: 'contained', local: true },
  startService: { ...changes, phase: 'recover', timeout: 'contain', retry: 'standard' },
  captureEvidence: { ...reads, phase: 'preserve', timeout: 'long', retry: 'standard', investigates: true },
  snapshotDisk: { ...reads, phase: 'preserve', timeout: 'long', retry: 'standard', investigates: true },
  // Rewrites one variable of an agent's env file: the agent's state, not the engine's evidence.
  rotateKey: { ...changes, phase: 'contain', timeout: 'contain', retry: 'standard', undo: 'impossible', note: 'contained', local: true },
  restoreBackup: { ...changes, phase: 'recover', timeout: 'long', retry: 'standard', note: 'contained', changesPaths: ['target'] },
  smokeTest: { ...reads, phase: 'verify', timeout: 'short', retry: 'patient' },
  recordControl: { ...reads, phase: 'learn', timeout: 'short', retry: 'standard', runsIn: 'workflow' },
  writeNote: { ...reads, phase: 'learn', timeout: 'short', retry: 'standard' },
  // Its working folder: a command that is not read-only may change anything under it.
  // Local only in the freeze phase and with a start-to-close of a minute or less (its preset's is 30).
  runCommand: { ...changes, phase: 'contain', timeout: 'long', retry: 'standard', changesPaths: ['cwd'], local: true },
  scanLeaks: { ...reads, phase: 'contain', timeout: 'long', retry: 'standard', investigates: true },
  quarantine: { ...changes, phase: 'contain', timeout: 'long', retry: 'standard', scrubs: true, note: 'contained', changesPaths: ['path'] },
  unquarantine: { ...changes, phase: 'recover', timeout: 'long', retry: 'standard', changesPaths: ['path'] },
  lockNetwork: { ...changes, phase: 'contain', timeout: 'contain', retry: 'standard', note: 'contained', local: true },
  unlockNetwork: { ...changes, phase: 'recover', timeout: 'contain', retry: 'standard' },
  sweepHost: { ...reads, phase: 'preserve', timeout: 'long', retry: 'standard', investigates: true },
  // Status updates go out in every phase: give the step a `phase` to keep the incident's where it is.
  // OpenClaw gateways (activities/openclaw): every change hot-applies, so the quick preset fits.
  openclawLockTools: { ...changes, phase: 'freeze', timeout: 'contain', retry: 'standard', note: 'contained', local: true },
  openclawFreezeAutomations: { ...changes, phase: 'freeze', timeout: 'contain', retry: 'standard', note: 'contained', local: true },
  openclawRotateToken: { ...changes, phase: 'contain', timeout: 'contain', retry: 'standard', undo: 'impossible', note: 'contained' },
  openclawCaptureEvidence: { ...reads, phase: 'preserve', timeout: 'long', retry: 'standard', investigates: true },
  openclawQuarantineMemory: { ...changes, phase: 'contain', timeout: 'contain', retry: 'standard', scrubs: true, note: 'contained' },
  // A smoke test runs an agent turn and a security audit (10–20 s each on a loaded machine).
  openclawSmoke: { ...reads, phase: 'verify', timeout: 'long', retry: 'patient' },
  openclawPause: { ...changes, phase: 'freeze', timeout: 'contain', retry: 'standard', note: 'contained', local: true, pauseLease: 'takes' },
  // A stopped gateway is started by its service manager or operator, with its own environment: not by the engine.
  openclawStopGateway: {
    ...changes,
    phase: 'freeze',
    timeout: 'contain',
    retry: 'standard',
    undo: 'impossible',
    note: 'contained',
    local: true,
    pauseLease: 'ends',
  },
  openclawDisable: { ...changes, phase: 'contain', timeout: 'contain', retry: 'standard', note: 'contained' },
  // The run is stopped, not paused: nothing can resume it.
  openclawAbortSessions: { ...changes, phase: 'freeze', timeout: 'contain', retry: 'standard', undo: 'impossible', note: 'contained' },
  // Verify, restore, stop, swap, lint, start and wait ready: minutes on a busy host. The
  // replaced state is kept aside (the undo swaps it back); the old token comes back with it.
  openclawRestoreBackup: {
    ...changes,
    phase: 'recover',
    timeout: 'long',
    retry: 'standard',
    note: 'contained',
    changesPaths: ['stateDir'],
    revivesCredentials: true,
    pauseLease: 'ends',
  },
  openclawUndo: { ...changes, phase: 'recover', timeout: 'long', retry: 'standard', pauseLease: 'ends' },
  notify: { ...reads, phase: 'classify', timeout: 'short', retry: 'patient', announces: true },
} as const satisfies Record<string, ActionTraits>;

export type ActionName = keyof typeof ACTIONS;
export const ACTION_NAMES = Object.keys(ACTIONS) as ActionName[];

/** Actions whose step runs as an activity (all but those the workflow records itself). */
export type ActivityActionName = { [A in ActionName]: (typeof ACTIONS)[A]['runsIn'] extends 'workflow' ? never : A }[ActionName];

const where = (test: (t: ActionTraits) => boolean): ReadonlySet<ActionName> => new Set(ACTION_NAMES.filter((a) => test(ACTIONS[a])));

/** Actions that change the system (as opposed to reading it or copying it aside). */
export const MUTATING_ACTIONS = where((t) => t.mutating);
/** Actions the workflow carries out itself: they record facts and have no side effect. */
export const WORKFLOW_ACTIONS = where((t) => t.runsIn === 'workflow');
/** Where a step sits in the runbook's order when the step does not say. */
export const DEFAULT_PHASE = Object.fromEntries(ACTION_NAMES.map((a) => [a, ACTIONS[a].phase])) as Record<ActionName, Phase>;

/** The phase a step runs in: its own, or its action's default. */
export function phaseOf(step: { phase?: Phase | undefined; action: ActionName }): Phase {
  return step.phase ?? ACTIONS[step.action].phase;
}

/**
 * The durable controls an incident can close on (the runbook's "convert the lesson into a
 * control"): `recordControl`'s kinds and the `control` signal's. A prompt change is
 * deliberately not in the list.
 */
export const CONTROL_KINDS = [
  'removed-endpoint',
  'narrowed-scope',
  'rotated-credential',
  'scrub-rule',
  'circuit-breaker',
  'lane-isolation',
  'review-gate',
  'parse-gate',
  'approval-gate',
] as const;
export type ControlKind = (typeof CONTROL_KINDS)[number];
export const CONTROL_KIND_RULE = `must be one of the durable control kinds (a prompt change is never one): ${CONTROL_KINDS.join(', ')}`;
