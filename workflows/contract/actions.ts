/**
 * The actions a step may name, with the zod schema of each action's arguments.
 *
 * Pure module: imported by the workflow (inside Temporal's sandbox), by the activities
 * (which parse their arguments again, because an activity is also an edge) and by the CLI.
 */
import { z } from 'zod';

const path = z.string().min(1, 'must be a non-empty path');
const argv = z.array(z.string()).min(1, 'must name a program: ["program", "arg", ...]');

/** A command whose output is captured: argv only, never a shell string. */
export const commandSpec = z.object({
  /** File name inside the evidence folder, e.g. `git-status.txt`. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be a plain file name (letters, digits, . _ -)'),
  argv,
  cwd: path.optional(),
});

export const actionArgs = {
  /** Freeze a local process: SIGTERM its process group, SIGKILL after the grace period. */
  stopService: z.object({
    service: z.string().min(1),
    pidfile: path,
    graceMs: z.number().int().min(0).max(600_000).default(5_000),
  }),
  /** Start a service again exactly as it ran when this incident stopped it. */
  startService: z.object({
    service: z.string().min(1),
    pidfile: path,
    /** Milliseconds to wait for the process to stay up before calling the start good. */
    settleMs: z.number().int().min(0).max(60_000).default(500),
  }),
  /** Copy files and command output into the incident's private evidence folder. */
  captureEvidence: z.object({
    files: z.array(path).default([]),
    commands: z.array(commandSpec).default([]),
  }),
  /** Archive a directory as it is now; returns a snapshot id. */
  snapshotDisk: z.object({ target: path }),
  /** Replace a secret in an env file with a new random value. Only a fingerprint leaves. */
  rotateKey: z.object({
    envFile: path,
    key: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an env variable name'),
  }),
  /** Restore a directory from an archive, only after this incident snapshotted it. */
  restoreBackup: z.object({ target: path, archive: path }),
  /** Read-only HTTP GET that must answer with the expected status. */
  smokeTest: z.object({
    url: z.url({ protocol: /^https?$/ }),
    expectStatus: z.number().int().min(100).max(599).default(200),
    timeoutMs: z.number().int().min(1).max(120_000).default(5_000),
  }),
  /** Record a durable control: what now prevents this incident from happening again. */
  recordControl: z.object({
    kind: z.enum(['removed-endpoint', 'narrowed-scope', 'rotated-credential', 'scrub-rule', 'circuit-breaker', 'lane-isolation', 'review-gate', 'parse-gate', 'approval-gate'], {
      error: 'must be one of the durable control kinds (a prompt change is never one): removed-endpoint, narrowed-scope, rotated-credential, scrub-rule, circuit-breaker, lane-isolation, review-gate, parse-gate, approval-gate',
    }),
    note: z.string().min(1).max(2000),
  }),
  /** Write the sanitized incident note (markdown) into the incident folder. */
  writeNote: z.object({}),
  /** Run one command (argv) and require its exit code. */
  runCommand: z.object({
    argv,
    cwd: path.optional(),
    expectExitCode: z.number().int().default(0),
  }),
} as const;

export type ActionName = keyof typeof actionArgs;

/**
 * The durable controls an incident can close on (the runbook's "convert the lesson into a
 * control"). A prompt change is deliberately not in the list.
 */
export const CONTROL_KINDS = actionArgs.recordControl.shape.kind.options;
export type ControlKind = (typeof CONTROL_KINDS)[number];
export const CONTROL_DESCRIPTIONS: Record<ControlKind, string> = {
  'removed-endpoint': 'removed or gated the destructive endpoint',
  'narrowed-scope': 'narrowed a token or permission scope',
  'rotated-credential': 'rotated or shortened a credential',
  'scrub-rule': 'added a scrub rule or publish check',
  'circuit-breaker': 'added a lock, timeout, backoff or circuit breaker',
  'lane-isolation': 'isolated a lane (one profile or lock per workflow)',
  'review-gate': 'added an evidence requirement or review gate',
  'parse-gate': 'added a parse gate or reduced tool access',
  'approval-gate': 'put the action behind human approval',
};
export const ACTION_NAMES = Object.keys(actionArgs) as ActionName[];
export type ActionArgs<A extends ActionName> = z.infer<(typeof actionArgs)[A]>;

/** Actions that change the system (as opposed to reading it or copying it aside). */
/** Actions the workflow carries out itself: they record facts and have no side effect. */
export const WORKFLOW_ACTIONS = new Set(['recordControl'] as const);
export type ActivityActionName = Exclude<ActionName, 'recordControl'>;

export const MUTATING_ACTIONS: ReadonlySet<ActionName> = new Set([
  'stopService',
  'startService',
  'rotateKey',
  'restoreBackup',
  'runCommand',
]);
