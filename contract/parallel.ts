/**
 * Steps that run at the same time: parallel groups and fan-out items, as the compiled incident
 * input carries them. A group's members and a fan-out's items stay ordinary steps of the flat
 * step list (each its own activity, retry, journal key, undo record and timeline entries); these
 * fields only say which neighbours run together. Pure and free of the schema library (the
 * schemas are in parallel-schema.ts): the workflow imports `batches`.
 */
/**
 * How many approvals a group or fan-out asks for: `once` (the first member's gate releases
 * every member) or `each` (every member waits for its own decision).
 */
export const GATES = ['once', 'each'] as const;

/** Set on each member of a parallel group: consecutive steps with one group id run concurrently. */
export interface GroupSpec {
  id: string;
  /** `all`: every member must succeed; `any`: the group ends at the first member that succeeds. */
  join: 'all' | 'any';
  gate: (typeof GATES)[number];
}

/** Set on each item of a fan-out: consecutive items of one step run concurrently, within limits. */
export interface FanOutSpec {
  /** The playbook step the item came from. */
  step: string;
  /** The item (an inventory name): the step id is `step[item]`. */
  item: string;
  /** Never more items of this step in flight at once. */
  maxConcurrency: number;
  /** Stop launching new items once this many have failed; absent: launch every item. */
  errorThreshold?: number | undefined;
  gate: (typeof GATES)[number];
}

/** A step id, or one item of a fan-out step: `rotate-credential[openai-key]`. */
export const STEP_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}(\[[a-z0-9][a-z0-9-]{0,62}\])?$/;

/** The id of one fan-out item. */
export function itemId(step: string, item: string): string {
  return `${step}[${item}]`;
}

interface Batched {
  group?: { id: string } | undefined;
  fanOut?: { step: string } | undefined;
}

/** What makes neighbours run together: the group, else the fan-out step, else nothing. */
function batchKey(step: Batched): string | undefined {
  if (step.group) return `group:${step.group.id}`;
  if (step.fanOut) return `fan-out:${step.fanOut.step}`;
  return undefined;
}

/**
 * The step list cut into what runs together: a lone step, a parallel group (its members, with
 * any fan-out items among them), or the items of one fan-out. In the list's order.
 */
export function batches<S extends Batched>(steps: readonly S[]): S[][] {
  const out: S[][] = [];
  let key: string | undefined;
  for (const step of steps) {
    const next = batchKey(step);
    if (next !== undefined && next === key) out.at(-1)!.push(step);
    else out.push([step]);
    key = next;
  }
  return out;
}

/** Is this batch a lone step that runs exactly as steps always ran, one after another? */
export function isSequential(batch: readonly Batched[]): boolean {
  return batch.length === 1 && !batch[0]!.group && !batch[0]!.fanOut;
}
