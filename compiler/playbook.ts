/**
 * The playbook format: what operators write once and run under pressure. The zod schema here
 * is the single source of truth; `npm run schemas` writes the JSON Schema editors use.
 */
import { z } from 'zod';
import { actionArgs, ACTION_NAMES, duration, incidentClass, PHASES, retrySpec, timeoutSpec, type ActionName } from '../contract';
import { entryName } from './inventory';
import { severityInput } from './severity';
import { GATES, identityLevel, NAME_PATTERN, NAME_RULE } from '../contract';

/** The parameter types that name inventory entries. */
export const INVENTORY_TYPES = ['service', 'credential', 'path', 'backup', 'repo', 'check', 'command', 'network', 'channel', 'openclaw'] as const;
export const PARAMETER_TYPES = ['string', 'number', 'boolean', ...INVENTORY_TYPES] as const;
/** A parameter may also be a list of one of these: `credential[]`, given as `a,b` on the command line. */
export const LIST_TYPES = [
  'string[]',
  'service[]',
  'credential[]',
  'path[]',
  'backup[]',
  'repo[]',
  'check[]',
  'command[]',
  'network[]',
  'channel[]',
  'openclaw[]',
] as const;
export type ParameterType = (typeof PARAMETER_TYPES)[number] | (typeof LIST_TYPES)[number];

/** `{{item}}` names the current item of a `forEach` step, so no parameter may be called that. */
export const ITEM_PARAM = 'item';

const paramName = z.string().regex(/^[a-z][a-zA-Z0-9_]{0,40}$/, 'parameter names start with a lower-case letter: letters, digits, _');

export const parameterSpec = z.strictObject({
  type: z.enum([...PARAMETER_TYPES, ...LIST_TYPES]),
  description: z.string().optional(),
  default: z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]).optional(),
  /** For string parameters: a regular expression the whole value must match. */
  pattern: z.string().optional(),
});
export type ParameterSpec = z.infer<typeof parameterSpec>;

/** A value that may differ per severity: `15m`, or `{S1: 15m, S2: 1h}` (a severity left out: none). */
function perSeverity<T extends z.ZodType>(value: T) {
  return z.union([value, z.strictObject({ S1: value.optional(), S2: value.optional(), S3: value.optional() })]);
}

export const ON_TIMEOUT = ['abort', 'skip', 'proceed', 'escalate'] as const;

export const playbookApproval = z.strictObject({
  required: z.boolean().default(true),
  /** People or approver groups from the inventory; empty: anyone. */
  approvers: z.array(z.string().min(1)).default([]),
  /**
   * Distinct approvers needed. Absent: 1, except for a destructive step (restoreBackup, or one
   * that restores or changes a target) in an S1 incident: 2 (the two-person rule).
   */
  quorum: z.number().int().min(1).max(10).optional(),
  /** May the person who started the incident approve? Absent: not in S1 incidents, yes otherwise. */
  allowRequester: z.boolean().optional(),
  /** How long to wait for a decision, for every severity or per severity (`{S1: 15m, S2: 1h}`). */
  timeout: perSeverity(duration).optional(),
  /** What a timeout does (per severity, like `timeout`): abort, skip, proceed, or escalate to `escalateTo`. */
  onTimeout: perSeverity(z.enum(ON_TIMEOUT)).default('abort'),
  /** Approver groups of the inventory asked in turn when the gate escalates (one or a list). */
  escalateTo: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  onDeny: z.enum(['abort', 'skip']).default('abort'),
  /**
   * `proven`: a decision counts only with an enrolled approver's authenticator code or SSH
   * signature; `asserted`: the typed name is believed. Absent: `proven` in S1 incidents and for
   * destructive steps, `asserted` otherwise. Drills never ask for proofs.
   */
  identity: identityLevel.optional(),
});
export type PlaybookApproval = z.infer<typeof playbookApproval>;

const ref = z.string().min(1, 'name an inventory entry or "{{parameter}}"');
const refs = z.array(ref).default([]);

/**
 * Each action's arguments in a playbook. Strict: a step cannot carry a path, a pidfile or a
 * command of its own, only names the inventory defines (or "{{parameter}}" references to them).
 */
export const playbookArgs = {
  stopService: z.strictObject({ service: ref, graceMs: z.number().int().min(0).max(600_000).optional() }),
  /** `settleMs`: how long the service must stay up before its probe is asked (a slow starter needs more). */
  startService: z.strictObject({ service: ref, settleMs: z.number().int().min(0).max(60_000).optional() }),
  captureEvidence: z.strictObject({ services: refs, paths: refs, repos: refs, commands: refs }),
  snapshotDisk: z.union([z.strictObject({ path: ref }), z.strictObject({ backup: ref })], {
    error: 'snapshotDisk takes either path: <path name> or backup: <backup name>',
  }),
  restoreBackup: z.strictObject({ backup: ref }),
  /** `restartDependents`: also restart the credential's running services (then rule 4 applies). */
  rotateKey: z.strictObject({ credential: ref, restartDependents: z.boolean().default(false) }),
  smokeTest: z.strictObject({ check: ref }),
  runCommand: z.strictObject({ command: ref }),
  recordControl: actionArgs.recordControl.strict(),
  writeNote: z.strictObject({}),
  /** Known token formats and this incident's rotated values, in paths, repos and the captured evidence. */
  scanLeaks: z.strictObject({ paths: refs, repos: refs, evidence: z.boolean().default(true), failOnFinding: z.boolean().default(false) }),
  /** Move a file or folder into the incident's quarantine, leaving a placeholder. */
  quarantine: z.strictObject({ path: ref, placeholder: z.string().max(10_000).optional(), reason: z.string().max(500).optional() }),
  unquarantine: z.strictObject({ path: ref }),
  lockNetwork: z.strictObject({ network: ref }),
  /** Undo the lock made by the lockNetwork step with this id. */
  unlockNetwork: z.strictObject({ lockStep: z.string().regex(NAME_PATTERN, 'the id of a lockNetwork step') }),
  sweepHost: z.strictObject({ skip: z.array(z.enum(['systemd', 'logins', 'debsums', 'docker'])).default([]) }),
  /** A status update: "{{parameter}}" in the text is replaced by its value. Default channel: the log. */
  notify: z.strictObject({ text: z.string().min(1).max(4000), level: z.enum(['info', 'warning', 'critical']).default('info'), channel: ref.optional() }),
  openclawLockTools: z.strictObject({ gateway: ref }),
  openclawFreezeAutomations: z.strictObject({ gateway: ref }),
  openclawRotateToken: z.strictObject({ gateway: ref }),
  openclawCaptureEvidence: z.strictObject({ gateway: ref }),
  openclawQuarantineMemory: z.strictObject({ gateway: ref }),
  /** `turn: false` skips the real agent turn, `audit: false` the security audit. */
  openclawSmoke: z.strictObject({ gateway: ref, turn: z.boolean().default(true), audit: z.boolean().default(true) }),
  openclawPause: z.strictObject({ gateway: ref }),
  openclawStopGateway: z.strictObject({ gateway: ref, graceMs: z.number().int().min(0).max(600_000).optional() }),
  /** `name`: the skill key, plugin id, hook name, MCP server name or channel id. */
  openclawDisable: z.strictObject({ gateway: ref, kind: z.enum(['skill', 'plugin', 'hook', 'mcp', 'channel']), name: z.string().min(1) }),
  /** `sessions`: session keys (`agent:main:<name>`, "{{parameter}}" allowed); none: every session with a run in flight. */
  openclawAbortSessions: z.strictObject({
    gateway: ref,
    sessions: z.array(z.string().min(1)).default([]),
    quietMs: z.number().int().min(1_000).max(120_000).optional(),
  }),
  /**
   * `archive`: an `openclaw backup create` archive ("{{parameter}}" allowed); absent: the newest
   * in the gateway's `backups` folder. The gateway is started as its inventory `service` runs.
   */
  openclawRestoreBackup: z.strictObject({ gateway: ref, archive: z.string().min(1).optional() }),
  /** Not for playbooks to name: the engine runs it as the undo an OpenClaw step reported. */
  openclawUndo: z.never({ error: 'openclawUndo is the undo the engine runs for an OpenClaw step; playbooks do not name it' }),
} satisfies Record<ActionName, z.ZodType>;

// Strict objects: a misspelt key is an error, not a silently ignored setting.
const stepBase = {
  id: z.string().regex(NAME_PATTERN, `step ids are ${NAME_RULE}`),
  summary: z.string().max(200).optional(),
  retry: retrySpec.optional(),
  timeouts: timeoutSpec.optional(),
  approval: playbookApproval.optional(),
  onFailure: z.enum(['abort', 'continue', 'ask']).default('abort'),
  /**
   * Run the step once per item: `"{{param}}"` (a list parameter) or `{ every: <kind> }` (every
   * entry of that inventory kind). The arguments name the item as `"{{item}}"`; each item is its
   * own step, `id[item]`.
   */
  forEach: z
    .union([z.string().regex(/^\{\{\s*[a-z][a-zA-Z0-9_]*\s*\}\}$/, 'forEach takes a "{{list parameter}}"'), z.strictObject({ every: z.enum(INVENTORY_TYPES) })])
    .optional(),
  /** With forEach: never more items in flight at once (default 4). */
  maxConcurrency: z.number().int().min(1).max(100).optional(),
  /** With forEach: stop launching new items once this many have failed. */
  errorThreshold: z.number().int().min(1).optional(),
  /** With forEach and an approval: `once` (one decision releases every item, the default) or `each` (a decision per item). */
  gate: z.enum(GATES).optional(),
};

function stepFor<A extends ActionName>(action: A) {
  // A step without arguments may leave `args` out.
  return z.strictObject({ ...stepBase, action: z.literal(action), args: z.preprocess((v) => v ?? {}, playbookArgs[action] as z.ZodType) });
}

export const playbookStep = z.discriminatedUnion(
  'action',
  ACTION_NAMES.map(stepFor) as unknown as [ReturnType<typeof stepFor<'stopService'>>, ...ReturnType<typeof stepFor<ActionName>>[]],
  { error: (issue) => (issue.code === 'invalid_union' ? `unknown action; actions are: ${ACTION_NAMES.join(', ')}` : undefined) },
);
export type PlaybookStep = z.infer<typeof playbookStep>;

/** Steps that start together; the group ends when its join is met. */
export const playbookParallel = z.strictObject({
  /** Names the group in the timeline and the UI; absent: `<first step>-group`. */
  id: z.string().regex(NAME_PATTERN, `group ids are ${NAME_RULE}`).optional(),
  parallel: z.array(playbookStep).min(1, 'a parallel group lists at least one step'),
  /** `all` (default): every step must succeed; `any`: the group ends at the first that succeeds, the others are cancelled. */
  join: z.enum(['all', 'any']).default('all'),
  /** One approval for the group: `gate: once` (default) asks once for all, `each` asks per step. */
  approval: playbookApproval.optional(),
  gate: z.enum(GATES).optional(),
});
export type PlaybookParallel = z.infer<typeof playbookParallel>;

/** What an editor sees for a phase's entry (the JSON Schema): a group or a step. */
export const playbookEntryShape = z.union([playbookParallel, playbookStep]);
export type PlaybookEntry = z.infer<typeof playbookEntryShape>;

/**
 * A phase's entry: a step, or a group of steps that run concurrently. Parsed by its shape, so
 * a bad step reports the step's own problem ("unknown action") instead of "matches neither a
 * step nor a group".
 */
export const playbookEntry = z.unknown().transform((value, ctx): PlaybookEntry => {
  const schema = value !== null && typeof value === 'object' && 'parallel' in value ? playbookParallel : playbookStep;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, input: value } as never);
  return z.NEVER;
});

/** The steps of a phase entry, members of a group included. */
export const stepsOf = (entry: PlaybookEntry): PlaybookStep[] => ('parallel' in entry ? entry.parallel : [entry]);

export const playbookSchema = z
  .strictObject({
    name: entryName,
    class: incidentClass,
    description: z.string().min(1),
    severity: severityInput,
    /** Incident title; "{{parameter}}" is replaced by the parameter's value. */
    title: z.string().min(1).max(200).optional(),
    parameters: z.record(paramName, parameterSpec).default({}),
    /** The runbook's phases, in its order; each a list of steps. */
    phases: z.partialRecord(z.enum(PHASES), z.array(playbookEntry).min(1)),
  })
  .superRefine((pb, ctx) => {
    const keys = Object.keys(pb.phases);
    const order = keys.map((k) => PHASES.indexOf(k as (typeof PHASES)[number]));
    order.forEach((o, i) => {
      if (i > 0 && o < order[i - 1]!) {
        ctx.addIssue({
          code: 'custom',
          path: ['phases', keys[i]!],
          message: `rule 1 (freeze first): phase ${keys[i]} comes after ${keys[i - 1]}; write phases in the runbook's order: ${PHASES.join(', ')}`,
        });
      }
    });
    const seen = new Set<string>();
    for (const key of keys) {
      (pb.phases[key as (typeof PHASES)[number]] ?? []).forEach((entry, i) => {
        stepsOf(entry).forEach((step, j) => {
          const at = 'parallel' in entry ? ['phases', key, i, 'parallel', j, 'id'] : ['phases', key, i, 'id'];
          if (seen.has(step.id)) ctx.addIssue({ code: 'custom', path: at, message: `duplicate step id "${step.id}": step ids must be unique in a playbook` });
          seen.add(step.id);
        });
      });
    }
    if (ITEM_PARAM in pb.parameters)
      ctx.addIssue({
        code: 'custom',
        path: ['parameters', ITEM_PARAM],
        message: '"item" names the current item of a forEach step; call the parameter something else',
      });
    if (!keys.length) ctx.addIssue({ code: 'custom', path: ['phases'], message: 'a playbook needs at least one phase with steps' });
  });

export type Playbook = z.infer<typeof playbookSchema>;

/**
 * What can be checked of a playbook that failed its schema: each parameter and step that
 * parses on its own, under a placeholder name and description when those are what is wrong.
 * A step that does not parse leaves a hole in its phase's list, so the others keep the index
 * (and the line) they have in the file. Undefined when there is nothing to salvage.
 */
export function salvagePlaybook(data: unknown): Playbook | undefined {
  const record = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
  const top = record(data);
  const phases: Playbook['phases'] = {};
  for (const phase of PHASES) {
    const list = top.phases && Array.isArray(record(top.phases)[phase]) ? (record(top.phases)[phase] as unknown[]) : [];
    const steps: PlaybookEntry[] = [];
    list.forEach((raw, i) => {
      const entry = playbookEntry.safeParse(raw);
      if (entry.success) steps[i] = entry.data;
    });
    if (steps.length) phases[phase] = steps;
  }
  if (!Object.keys(phases).length) return undefined;
  const parameters: Playbook['parameters'] = {};
  for (const [name, spec] of Object.entries(record(top.parameters))) {
    const parsed = parameterSpec.safeParse(spec);
    if (parsed.success) parameters[name] = parsed.data;
  }
  const klass = incidentClass.safeParse(top.class);
  const severity = severityInput.safeParse(top.severity);
  return {
    name: typeof top.name === 'string' ? top.name : 'playbook',
    // An unknown class only skips rule 3, which is about secret exposures.
    class: klass.success ? klass.data : ('unknown' as Playbook['class']),
    description: typeof top.description === 'string' && top.description ? top.description : 'a playbook',
    severity: severity.success ? severity.data : 'S1',
    parameters,
    phases,
  };
}
