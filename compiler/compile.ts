/**
 * Compile a playbook, the inventory and parameters into the incident workflow's input: the
 * step list the workflow history records exactly. Every problem found is reported at once,
 * each with its YAML path and line.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { Problem } from '../common/errors';
import {
  ACTIONS,
  formatIssues,
  incidentInputSchema,
  PHASES,
  stepEffects,
  type IncidentInput,
  type IncidentInputDraft,
  type Phase,
  type Step,
} from '../contract';
import { checkOrder } from '../contract/rules';
import { batches } from '../contract/parallel';
import { expandEntry, type ExpandContext } from './expand';
import type { Inventory } from './inventory';
import { playbookSchema, salvagePlaybook, type ParameterSpec, type Playbook } from './playbook';
import type { ParamValue, ResolveContext } from './resolve';
import { parseSeverity, unknownSeverity } from './severity';
import { formatProblems, YamlSource, type SourceProblem } from '../common/data-file';
import { findPlaybook } from './library';
import { fillPlaceholders, NAME_PATTERN } from '../contract';

/** A parameter value as given: a list parameter takes `a,b` or a list. */
export type GivenParam = string | number | boolean | string[];

export interface CompileOptions {
  /** Absent: validate the playbook alone, with names left symbolic. */
  inventory?: Inventory;
  /** Parameter values as given on the command line (`key=value`) or by an alert route. */
  params?: Record<string, GivenParam>;
  severity?: string;
  title?: string;
  mode?: 'live' | 'drill';
  /** Who starts the incident (the CLI's `--by` or the OS user): see `approval.allowRequester`. */
  requestedBy?: string;
  /** The tourniquet home: rule 8 refuses steps that would change anything inside it. */
  home?: string;
  /**
   * Validate only: literal names are checked against the inventory (when given), but a
   * parameter without a value stays symbolic instead of being an error.
   */
  symbolic?: boolean;
}

export interface CompileResult {
  playbook: Playbook | undefined;
  problems: SourceProblem[];
  input: IncidentInput | undefined;
}

export function checkPlaybook(source: YamlSource, o: CompileOptions = {}): CompileResult {
  const parsed = source.parseWith(playbookSchema);
  if (parsed.ok) return checkParsed(source, parsed.value, o);
  // A missing or misspelt field must not hide the other problems: check what did parse.
  const salvaged = salvagePlaybook(source.data);
  if (!salvaged) return { playbook: undefined, problems: parsed.problems, input: undefined };
  const rest = checkParsed(source, salvaged, o).problems;
  const seen = new Set(parsed.problems.map(key));
  return { playbook: undefined, problems: [...parsed.problems, ...rest.filter((p) => !seen.has(key(p)))], input: undefined };
}

const key = (p: SourceProblem) => `${p.path}\n${p.message}`;

function checkParsed(source: YamlSource, pb: Playbook, o: CompileOptions): CompileResult {
  const problems: SourceProblem[] = [];
  const problem = (path: (string | number)[], message: string) => problems.push(source.problem(path, message));

  const params = typedParams(pb.parameters, o.params ?? {}, problem);
  const severity = o.severity === undefined ? pb.severity : parseSeverity(o.severity);
  if (!severity) problem([], unknownSeverity(String(o.severity)));
  const approvalCtx = { severity: severity ?? pb.severity, inventory: o.inventory, problem };
  const symbolic = o.symbolic === true || !o.inventory;
  const ctx: ResolveContext = { inventory: o.inventory, params, specs: pb.parameters, problem, symbolic };
  const where = new Map<string, (string | number)[]>();
  const steps = resolveSteps(pb, ctx, approvalCtx, where);
  const checkRules = (ordered: IncidentInputDraft['steps']) => {
    const withEffects = ordered.map((s) => ({ ...s, effects: stepEffects.parse(s.effects ?? {}) })) as unknown as Step[];
    for (const v of checkOrder({ class: pb.class, steps: withEffects })) problem(where.get(v.step) ?? [], v.message);
    // Rule 8 on the paths that resolved (a placeholder without a value names none).
    if (o.home) for (const [id, message] of evidenceViolations(withEffects, o.home)) problem(where.get(id) ?? [], message);
    for (const [id, message] of revivalViolations(withEffects)) problem(where.get(id) ?? [], message);
  };
  if (problems.length || symbolic) {
    // The ordering rules are checked however names and values turned out: after a problem, on
    // the steps resolved again with missing values left symbolic (what failed is reported above).
    const ignore = () => {};
    checkRules(problems.length ? resolveSteps(pb, { ...ctx, symbolic: true, problem: ignore }, { ...approvalCtx, problem: ignore }, new Map()) : steps);
    return { playbook: pb, problems, input: undefined };
  }

  const draft: IncidentInputDraft = {
    class: pb.class,
    severity: severity ?? 'S1',
    title: o.title ?? fillTitle(pb.title ?? pb.description.split('\n')[0]!, params),
    ...(o.requestedBy ? { requestedBy: o.requestedBy } : {}),
    targets: [...new Set(steps.flatMap((s) => Object.values(s.effects ?? {}).flat()))],
    mode: o.mode ?? 'live',
    playbook: { name: pb.name, file: source.file },
    steps,
  };
  const input = incidentInputSchema.safeParse(draft);
  if (!input.success) {
    for (const line of formatIssues(input.error)) problem([], `compiled incident is invalid: ${line}`);
    checkRules(steps);
    return { playbook: pb, problems, input: undefined };
  }
  checkRules(input.data.steps);
  return { playbook: pb, problems, input: problems.length ? undefined : input.data };
}

/** Each step's concrete arguments, effects and approval; `where` learns each step's YAML path. */
function resolveSteps(
  pb: Playbook,
  ctx: ResolveContext,
  approvalCtx: ExpandContext['approval'],
  where: Map<string, (string | number)[]>,
): IncidentInputDraft['steps'] {
  const steps: IncidentInputDraft['steps'] = [];
  for (const phase of PHASES) {
    // forEach skips the holes a salvaged playbook leaves where a step did not parse: indexes stay the file's.
    (pb.phases[phase] ?? []).forEach((entry, i) => {
      for (const placed of expandEntry({ resolve: ctx, approval: approvalCtx }, entry, phase as Phase, ['phases', phase, i])) {
        where.set(placed.step.id, placed.at);
        steps.push(placed.step);
      }
    });
  }
  return steps;
}

/** Find a playbook by name (your folder first, then the built-in ones) and compile it. */
export function compileNamedPlaybook(name: string, o: CompileOptions & { inventory: Inventory; playbooksDir?: string | undefined }): IncidentInput {
  const { playbooksDir, ...options } = o;
  return compilePlaybook(YamlSource.read(findPlaybook(name, playbooksDir)), options);
}

/** Compile or throw one error listing every problem. */
export function compilePlaybook(source: YamlSource, o: CompileOptions & { inventory: Inventory }): IncidentInput {
  const result = checkPlaybook(source, o);
  if (!result.input) throw new Problem('InvalidInput', `playbook ${source.file} cannot run:\n${formatProblems(source.file, result.problems)}`);
  return result.input;
}

function typedParams(
  specs: Record<string, ParameterSpec>,
  given: Record<string, GivenParam>,
  problem: (p: (string | number)[], m: string) => void,
): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const [name, raw] of Object.entries(given)) {
    const spec = specs[name];
    if (!spec) {
      problem(['parameters'], `unknown parameter "${name}" (parameters: ${Object.keys(specs).join(', ') || 'none'})`);
      continue;
    }
    if (spec.type.endsWith('[]')) {
      const items = (Array.isArray(raw) ? raw : String(raw).split(',')).map((x) => String(x).trim()).filter(Boolean);
      const bad = spec.type === 'string[]' ? [] : items.filter((x) => !NAME_PATTERN.test(x));
      if (bad.length) problem(['parameters', name], `parameter ${name} must list ${spec.type.slice(0, -2)} names from the inventory, got "${bad.join(', ')}"`);
      else out[name] = items;
      continue;
    }
    const text = String(raw);
    if (spec.type === 'number') {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) problem(['parameters', name], `parameter ${name} must be a number, got "${text}"`);
      else out[name] = n;
    } else if (spec.type === 'boolean') {
      if (text !== 'true' && text !== 'false') problem(['parameters', name], `parameter ${name} must be true or false, got "${text}"`);
      else out[name] = text === 'true';
    } else if (spec.type === 'string') {
      if (spec.pattern && !new RegExp(`^(?:${spec.pattern})$`).test(text))
        problem(['parameters', name], `parameter ${name} must match /${spec.pattern}/, got "${text}"`);
      else out[name] = text;
    } else {
      // Inventory kinds: checked against the inventory where the name is used.
      if (!NAME_PATTERN.test(text)) problem(['parameters', name], `parameter ${name} must name a ${spec.type} from the inventory, got "${text}"`);
      else out[name] = text;
    }
  }
  return out;
}

function fillTitle(template: string, params: Record<string, ParamValue>): string {
  return fillPlaceholders(template, Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v])));
}

/**
 * Rule 8: no step may move, rewrite or replace anything inside the state folder (the evidence
 * store, snapshots, quarantine, the server's database). Which arguments name such paths is the
 * catalogue's `changesPaths`; a command that only reads is exempt.
 */
function evidenceViolations(steps: Pick<Step, 'id' | 'action' | 'args' | 'effects'>[], home: string): [string, string][] {
  const inside = (p: string) => {
    const rel = relative(resolve(home), resolve(p));
    return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && !isAbsolute(rel));
  };
  const out: [string, string][] = [];
  for (const step of steps) {
    const fx = step.effects;
    const onlyReads = fx && fx.reads.length > 0 && !fx.changes.length && !fx.freezes.length && !fx.restores.length;
    if (onlyReads) continue;
    const args = step.args as Record<string, unknown>;
    const paths = ACTIONS[step.action].changesPaths.flatMap((k) => [args[k]].flat()).filter((p): p is string => typeof p === 'string' && !p.includes('{{'));
    const target = paths.find(inside);
    if (target)
      out.push([
        step.id,
        `rule 8 (the engine never deletes evidence): step "${step.id}" (${step.action}) would change ${target}, inside the evidence store ${home}`,
      ]);
  }
  return out;
}

/**
 * A step that revives credentials (a restored backup brings back the token it held, maybe the
 * leaked one) must be followed, in a later batch, by a step that rotates a target it changed.
 */
export function revivalViolations(steps: Pick<Step, 'id' | 'action' | 'effects' | 'group' | 'fanOut'>[]): [string, string][] {
  const out: [string, string][] = [];
  const ordered = batches(steps as Step[]);
  ordered.forEach((batch, i) => {
    for (const step of batch.filter((s) => ACTIONS[s.action].revivesCredentials)) {
      const targets = step.effects?.changes ?? [];
      const later = ordered.slice(i + 1).flat();
      if (!later.some((s) => s.effects?.rotates.some((t) => targets.includes(t))))
        out.push([
          step.id,
          `step "${step.id}" (${step.action}) brings back the credentials of its backup (the old token among them): add a step after it that rotates them (openclawRotateToken for ${targets[0] ?? 'the gateway'})`,
        ]);
    }
  });
  return out;
}
