/**
 * A playbook step's approval, resolved for one incident: groups expanded to people, the
 * timeout and its outcome picked for the incident's severity, and the two-person rule.
 *
 * The two-person rule: in an S1 incident, a destructive step (restoreBackup, or any step whose
 * effects restore or change a target) needs two distinct approvers unless the playbook says
 * otherwise explicitly (`quorum: 1`, or `approval: {required: false}`). A destructive S1 step
 * with no approval block at all gets a two-person gate.
 */
import type { ApprovalSpec, Severity } from '../contract';
import type { Inventory } from './inventory';
import type { PlaybookApproval } from './playbook';

export const TWO_PERSON_QUORUM = 2;

export interface ApprovalContext {
  severity: Severity;
  inventory: Inventory | undefined;
  problem(path: (string | number)[], message: string): void;
}

type Draft = Omit<Partial<ApprovalSpec>, 'escalateTo'> & { required: boolean; escalateTo?: ApprovalSpec['escalateTo'] };

export { isDestructive } from '../contract';

/** The step's approval in the workflow input, or undefined when the step is not gated. */
export function resolveApproval(
  approval: PlaybookApproval | undefined,
  destructive: boolean,
  at: (string | number)[],
  ctx: ApprovalContext,
): Draft | undefined {
  const twoPerson = destructive && ctx.severity === 'S1';
  // Written out, so the input says what the workflow will demand (see identityFor).
  const identity = approval?.identity ?? (ctx.severity === 'S1' || destructive ? 'proven' : 'asserted');
  if (!approval) return twoPerson ? { required: true, quorum: TWO_PERSON_QUORUM, identity } : undefined;
  if (!approval.required) return undefined;
  const where = [...at, 'approval'];
  const approvers = expand(approval.approvers, ctx.inventory);
  const quorum = approval.quorum ?? (twoPerson ? TWO_PERSON_QUORUM : 1);
  if (approvers.length && approvers.length < quorum) {
    ctx.problem(
      [...where, 'quorum'],
      `quorum ${quorum}${approval.quorum === undefined ? ' (the two-person rule for destructive S1 steps)' : ''} but only ${approvers.length} approver(s) listed (${approvers.join(', ')}); list more people or set quorum explicitly`,
    );
  }
  const timeout = forSeverity(approval.timeout, ctx.severity);
  const onTimeout = forSeverity(approval.onTimeout, ctx.severity) ?? 'abort';
  const groups = approval.escalateTo === undefined ? [] : [approval.escalateTo].flat();
  const escalateTo = groups.flatMap((group, i) => {
    const members = ctx.inventory?.approvers[group];
    if (ctx.inventory && !members) {
      ctx.problem(
        [...where, 'escalateTo', ...(Array.isArray(approval.escalateTo) ? [i] : [])],
        `"${group}" is not an approver group in the inventory (groups: ${Object.keys(ctx.inventory.approvers).join(', ') || 'none'})`,
      );
      return [];
    }
    return [{ group, approvers: members ?? [group] }];
  });
  if (onTimeout === 'escalate' && timeout === undefined) ctx.problem([...where, 'timeout'], `onTimeout: escalate needs a timeout for ${ctx.severity}`);
  if (onTimeout === 'escalate' && !groups.length)
    ctx.problem([...where, 'escalateTo'], 'onTimeout: escalate needs escalateTo: the approver group(s) to ask next');
  return {
    required: true,
    onDeny: approval.onDeny,
    approvers,
    quorum,
    ...(approval.allowRequester !== undefined ? { allowRequester: approval.allowRequester } : {}),
    ...(timeout !== undefined ? { timeout } : {}),
    onTimeout,
    ...(escalateTo.length ? { escalateTo } : {}),
    identity,
  };
}

function forSeverity<T>(value: T | Partial<Record<Severity, T>> | undefined, severity: Severity): T | undefined {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return (value as Partial<Record<Severity, T>>)[severity];
  return value as T | undefined;
}

function expand(names: string[], inventory: Inventory | undefined): string[] {
  return [...new Set(names.flatMap((n) => inventory?.approvers[n] ?? [n]))];
}
