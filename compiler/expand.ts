/**
 * A phase entry of a playbook (a step, a `forEach` step, or a `parallel` group) becomes the
 * workflow's steps: a fan-out becomes one step per item (`id[item]`), a group's members carry
 * the group, and an approval meant once for many lands on the first of them.
 */
import { fanOutSpec, groupSpec, itemId, PLACEHOLDER, type FanOutSpec, type GroupSpec, type IncidentInputDraft, type Phase } from '../contract';
import { isDestructive, resolveApproval, type ApprovalContext } from './approval';
import { inventoryNames, type InventoryKind } from './inventory';
import { ITEM_PARAM, type PlaybookApproval, type PlaybookEntry, type PlaybookStep } from './playbook';
import { RESOLVERS, type ResolveContext } from './resolve';

type Path = (string | number)[];
type StepDraft = IncidentInputDraft['steps'][number];

export interface ExpandContext {
  resolve: ResolveContext;
  approval: ApprovalContext;
}

/** One compiled step and where in the YAML it came from (for problems the rules find later). */
export interface Placed {
  step: StepDraft;
  at: Path;
}

/** The steps of one phase entry; problems go to the context, and a step that cannot resolve is left out. */
export function expandEntry(ctx: ExpandContext, entry: PlaybookEntry, phase: Phase, at: Path): Placed[] {
  if (!('parallel' in entry)) return expandStep(ctx, entry, phase, at, {});
  // Without a group approval each member keeps its own gate (`each`).
  const gate = entry.approval ? (entry.gate ?? 'once') : 'each';
  const group: GroupSpec = groupSpec.parse({ id: entry.id ?? `${entry.parallel[0]!.id}-group`, join: entry.join, gate });
  if (entry.approval) {
    entry.parallel.forEach((s, j) => {
      if (s.approval) ctx.resolve.problem([...at, 'parallel', j, 'approval'], 'the group has an approval; its steps take none of their own');
    });
  }
  const placed = entry.parallel.flatMap((s, j) => expandStep(ctx, s, phase, [...at, 'parallel', j], { group, approval: entry.approval }));
  if (entry.approval && group.gate === 'once') {
    // One decision for the whole group: the first member holds the gate, the others wait on it.
    const destructive = placed.some((p) => isDestructive(p.step.action, p.step.effects as never));
    const gate = resolveApproval(entry.approval, destructive, at, ctx.approval);
    placed.forEach((p, i) => setApproval(p.step, i === 0 ? gate : undefined));
  }
  return placed;
}

interface Within {
  group?: GroupSpec;
  /** The group's approval, when every member is to carry it (`gate: each`). */
  approval?: PlaybookApproval | undefined;
}

function expandStep(ctx: ExpandContext, step: PlaybookStep, phase: Phase, at: Path, within: Within): Placed[] {
  const approval = within.approval ?? step.approval;
  if (!step.forEach) {
    if (step.maxConcurrency !== undefined || step.errorThreshold !== undefined || step.gate !== undefined)
      ctx.resolve.problem(at, 'maxConcurrency, errorThreshold and gate go with forEach');
    const one = compileStep(ctx, ctx.resolve, step, phase, at, step.id, approval);
    return one ? [{ step: { ...one, ...(within.group ? { group: within.group } : {}) }, at }] : [];
  }
  const list = itemsOf(ctx.resolve, step.forEach, [...at, 'forEach']);
  if (!list) return [];
  const gate = step.gate ?? 'once';
  const placed: Placed[] = [];
  for (const item of list.items) {
    const id = itemId(step.id, item ?? ITEM_PARAM);
    // `{{item}}` resolves like a parameter of the list's kind; symbolic while validating.
    const itemCtx: ResolveContext = {
      ...ctx.resolve,
      specs: { ...ctx.resolve.specs, [ITEM_PARAM]: { type: list.kind } },
      params: item === undefined ? ctx.resolve.params : { ...ctx.resolve.params, [ITEM_PARAM]: item },
    };
    const compiled = compileStep(ctx, itemCtx, step, phase, at, id, approval);
    if (!compiled) continue;
    const fanOut: FanOutSpec = fanOutSpec.parse({
      step: step.id,
      item: item ?? ITEM_PARAM,
      ...(step.maxConcurrency !== undefined ? { maxConcurrency: step.maxConcurrency } : {}),
      ...(step.errorThreshold !== undefined ? { errorThreshold: step.errorThreshold } : {}),
      gate,
    });
    placed.push({ step: { ...compiled, fanOut, ...(within.group ? { group: within.group } : {}) }, at });
  }
  // One decision for every item: the first item holds the gate, the others wait on it.
  if (gate === 'once' && !within.approval) placed.forEach((p, i) => i > 0 && setApproval(p.step, undefined));
  return placed;
}

function compileStep(
  ctx: ExpandContext,
  resolve: ResolveContext,
  step: PlaybookStep,
  phase: Phase,
  at: Path,
  id: string,
  approvalSpec: PlaybookApproval | undefined,
): StepDraft | undefined {
  const resolved = RESOLVERS[step.action](resolve, step.args as never, [...at, 'args']);
  if (!resolved) return undefined;
  const approval = resolveApproval(approvalSpec, isDestructive(step.action, resolved.effects), at, ctx.approval);
  return {
    id,
    action: step.action,
    phase,
    ...(step.summary ? { summary: step.summary } : {}),
    ...(step.retry ? { retry: step.retry } : {}),
    ...(step.timeouts ? { timeouts: step.timeouts } : {}),
    ...(approval ? { approval } : {}),
    onFailure: step.onFailure,
    args: resolved.args,
    effects: resolved.effects,
  } as StepDraft;
}

function setApproval(step: StepDraft, approval: StepDraft['approval'] | undefined): void {
  if (approval) step.approval = approval;
  else delete step.approval;
}

/**
 * The items of a `forEach`: a list parameter's values or every inventory entry of a kind.
 * `undefined` items: validating without values, one symbolic item stands for them all.
 */
function itemsOf(
  ctx: ResolveContext,
  forEach: NonNullable<PlaybookStep['forEach']>,
  at: Path,
): { kind: InventoryKind; items: (string | undefined)[] } | undefined {
  if (typeof forEach === 'object') {
    const kind = forEach.every as InventoryKind;
    if (!ctx.inventory) return { kind, items: [undefined] };
    const items = inventoryNames(ctx.inventory, kind);
    if (!items.length) ctx.problem(at, `forEach every ${kind}: the inventory has no ${kind}`);
    return items.length ? { kind, items } : undefined;
  }
  const param = PLACEHOLDER.exec(forEach)![1]!;
  const spec = ctx.specs[param];
  if (!spec) {
    ctx.problem(at, `unknown parameter {{${param}}} (parameters: ${Object.keys(ctx.specs).join(', ') || 'none'})`);
    return undefined;
  }
  if (!spec.type.endsWith('[]') || spec.type === 'string[]') {
    ctx.problem(at, `forEach needs a list of inventory names (such as credential[]); parameter ${param} is a ${spec.type}`);
    return undefined;
  }
  const kind = spec.type.slice(0, -2) as InventoryKind;
  const value = ctx.params[param] ?? spec.default;
  if (value === undefined) {
    if (ctx.symbolic) return { kind, items: [undefined] };
    ctx.problem(at, `parameter ${param} has no value: pass --param ${param}=<${kind} name>[,<${kind} name>...]`);
    return undefined;
  }
  const items = (Array.isArray(value) ? value : String(value).split(',')).map((x) => String(x).trim()).filter(Boolean);
  if (!items.length) ctx.problem(at, `parameter ${param} is an empty list: forEach needs at least one item`);
  if (new Set(items).size !== items.length) ctx.problem(at, `parameter ${param} names an item twice: ${items.join(', ')}`);
  return items.length ? { kind, items } : undefined;
}
