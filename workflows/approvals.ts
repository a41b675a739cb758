/**
 * Approval gates as plain state: who may approve each waiting step, how many distinct people
 * are still needed, escalation to the next group, and every decision with who, when and why.
 *
 * One check serves both ways in: the `decide` update's validator throws its rejection back to
 * the caller, and the `approve`/`deny` signals (which cannot answer) record it in the timeline
 * as `signal-ignored`. Pure: no Temporal import.
 *
 * A gate whose identity is `proven` takes a decision only with a proof the worker checked
 * (the workflow runs that check between `check` and `apply`, see `handlers.ts`); each proof
 * (a code's time step, a signature) is spent once per incident, so a code read from the
 * history cannot be sent again.
 */
import type {
  ApprovalDecision,
  DecideResult,
  DecisionRejection,
  DenyDecision,
  EscalationLevel,
  IncidentProgress,
  ProofCheck,
  Severity,
  Step,
  TimelineEvent,
} from '../contract';
import { checkApproval, checkDeny } from '../contract/checks';
import { identityFor } from '../contract/identity';
import { requesterMayApprove } from '../contract/severity';

export type Decision = { kind: 'approve'; by: string; comment?: string } | { kind: 'deny'; by: string; reason: string };

/** Why a decision cannot apply, with the words the caller (or the timeline) gets. */
export interface Rejection {
  type: DecisionRejection;
  step?: string;
  by?: string;
  message: string;
}

/** `proofToCheck`: the gate needs a proven identity, so the worker must check the payload's proof before `apply`. */
export type Checked =
  | { ok: true; kind: 'approve'; payload: ApprovalDecision; proofToCheck: boolean }
  | { ok: true; kind: 'deny'; payload: DenyDecision; proofToCheck: boolean }
  | { ok: false; rejection: Rejection };

/** A proof the worker accepted: recorded with the decision (never the code or signature). */
export type Proof = Extract<ProofCheck, { ok: true }>;

interface Gate {
  /** Everyone who may decide; empty: anyone. Grows when the gate escalates. */
  approvers: string[];
  quorum: number;
  /** Listed or not, these may not approve (the requester of an S1 incident, by default). */
  excluded: string[];
  escalatedTo: string[];
  /** Decisions count only with a proof the worker checked. */
  proven: boolean;
}

type Log = (event: Omit<TimelineEvent, 'at'>) => void;

export class ApprovalDesk {
  private readonly decisions = new Map<string, Decision>();
  private readonly approvals = new Map<string, { by: string; comment?: string }[]>();
  private readonly gates = new Map<string, Gate>();
  /** Proofs already used in this incident (`ProofCheck.spent`): a code's time step, a signature's digest. */
  private readonly spent = new Set<string>();

  constructor(
    private readonly progress: IncidentProgress,
    private readonly severity: Severity,
    private readonly now: () => string,
    private readonly log: Log,
    /** False for incidents started before proofs existed: they keep their old rules on replay. */
    private readonly proofs = false,
  ) {}

  request(step: Step): void {
    const approval = step.approval;
    const approvers = approval?.approvers ?? [];
    const quorum = approval?.quorum ?? 1;
    const requester = this.progress.requestedBy;
    const excluded = requester && !requesterMayApprove(this.severity, approval) ? [requester] : [];
    const proven = this.proofs && identityFor(this.severity, step) === 'proven';
    this.gates.set(step.id, { approvers: [...approvers], quorum, excluded, escalatedTo: [], proven });
    const progress = this.stepOf(step.id)!;
    if (proven) progress.identity = 'proven';
    progress.status = 'awaiting-approval';
    progress.approvalsNeeded = quorum;
    this.progress.state = 'awaiting-approval';
    this.progress.pendingApprovals.push({
      step: step.id,
      since: this.now(),
      approvers: [...approvers],
      needed: quorum,
      ...(excluded.length ? { excluded } : {}),
    });
    const who = approvers.length ? ` by ${quorum === 1 ? 'one of' : `${quorum} of`} ${approvers.join(', ')}` : quorum > 1 ? ` by ${quorum} people` : '';
    const not = excluded.length ? ` (not ${excluded.join(', ')}, who started the incident)` : '';
    const proof = proven ? ', each with a code or SSH signature of an enrolled approver' : '';
    this.log({ kind: 'approval-requested', step: step.id, message: `step "${step.id}" waits for approval${who}${not}${proof}` });
  }

  decisionFor(id: string): Decision | undefined {
    return this.decisions.get(id);
  }

  /** Can this approve/deny apply now? Changes nothing. */
  check(kind: Decision['kind'], raw: unknown): Checked {
    const parsed = kind === 'approve' ? checkApproval(raw) : checkDeny(raw);
    if (!parsed.ok) return reject('InvalidDecision', parsed.issues.join('; '));
    const payload = parsed.value;
    const { step: id, by } = payload;
    const step = this.stepOf(id);
    if (!step) return reject('UnknownStep', `no step "${id}" (steps: ${this.progress.steps.map((s) => s.id).join(', ')})`, id, by);
    const gate = this.gates.get(id);
    const earlier = this.decisions.get(id);
    if (earlier) {
      const what = earlier.kind === 'approve' ? 'approved' : 'denied';
      const held = this.progress.paused && step.status === 'pending' ? `; it starts once the incident is resumed (paused by ${this.progress.paused.by})` : '';
      return reject('StepNotWaiting', `step "${id}" was already ${what} by ${earlier.by}${held}`, id, by);
    }
    if (step.status !== 'awaiting-approval' || !gate) {
      const waiting = this.progress.pendingApprovals.map((p) => p.step);
      return reject(
        'StepNotWaiting',
        `step "${id}" is not waiting for approval (it is ${step.status})${waiting.length ? `; waiting: ${waiting.join(', ')}` : ''}`,
        id,
        by,
      );
    }
    if (gate.approvers.length && !gate.approvers.includes(by)) {
      return reject('ApproverNotAllowed', `${by} may not decide step "${id}" (allowed: ${gate.approvers.join(', ')})`, id, by);
    }
    if (kind === 'approve' && gate.excluded.includes(by)) {
      return reject(
        'ApproverNotAllowed',
        `${by} started this incident and may not approve step "${id}" of an ${this.severity} incident; someone else must (allowRequester: false)`,
        id,
        by,
      );
    }
    if (kind === 'approve' && (this.approvals.get(id) ?? []).some((a) => a.by === by)) {
      return reject('DuplicateApprover', `${by} already approved step "${id}"; it needs ${gate.quorum} different people`, id, by);
    }
    if (gate.proven && payload.code === undefined && payload.signature === undefined) {
      return reject(
        'IdentityNotProven',
        `step "${id}" needs a proven identity: add "code" (the 6 digits ${by}'s authenticator app shows for tourniquet:${by}) or sign with \`tourniquet approve --ssh-key\`; approvers are enrolled with \`tourniquet approvers enroll\``,
        id,
        by,
      );
    }
    const proofToCheck = gate.proven;
    return kind === 'approve'
      ? { ok: true, kind, payload: payload as ApprovalDecision, proofToCheck }
      : { ok: true, kind, payload: payload as DenyDecision, proofToCheck };
  }

  /**
   * The worker's answer on a checked decision's proof. Checks again first: other decisions
   * may have landed while the worker looked. Changes nothing.
   */
  withProof(checked: Extract<Checked, { ok: true }>, proof: ProofCheck): Checked {
    const again = this.check(checked.kind, checked.payload);
    if (!again.ok) return again;
    const { step, by } = checked.payload;
    if (!proof.ok) return reject('IdentityNotProven', `${by}'s identity is not proven: ${proof.reason}`, step, by);
    if (this.spent.has(proof.spent))
      return reject(
        'IdentityNotProven',
        `${by}'s ${proof.kind === 'totp' ? 'code was already used in this incident: wait for the next one' : 'signature was already used: sign again'}`,
        step,
        by,
      );
    return again;
  }

  /** Apply a decision that `check` accepted. */
  apply(checked: Extract<Checked, { ok: true }>, proof?: Proof): DecideResult {
    const { step: id, by } = checked.payload;
    const step = this.stepOf(id)!;
    const gate = this.gates.get(id)!;
    const at = this.now();
    if (proof) this.spent.add(proof.spent);
    const proven = proof ? { proof: proof.kind, ...(proof.fingerprint ? { fingerprint: proof.fingerprint } : {}) } : {};
    const how = proof ? ` (${proof.kind === 'totp' ? 'authenticator code' : `SSH key ${proof.fingerprint}`})` : '';
    if (checked.kind === 'deny') {
      const { reason } = checked.payload;
      (step.decisions ??= []).push({ kind: 'deny', by, at, why: reason, ...proven });
      this.decide(id, { kind: 'deny', by, reason });
      this.log({ kind: 'denied', step: id, by, message: `denied by ${by}${how}: ${reason}` });
      return { step: id, decision: 'deny', by, approvedBy: step.approvedBy ?? [], needed: 0, decided: true };
    }
    const { comment } = checked.payload;
    const given = this.approvals.get(id) ?? [];
    given.push({ by, ...(comment ? { comment } : {}) });
    this.approvals.set(id, given);
    (step.decisions ??= []).push({ kind: 'approve', by, at, ...(comment ? { why: comment } : {}), ...proven });
    step.approvedBy = given.map((a) => a.by);
    const needed = Math.max(gate.quorum - given.length, 0);
    step.approvalsNeeded = needed;
    const pending = this.progress.pendingApprovals.find((p) => p.step === id);
    if (pending) pending.needed = needed;
    this.log({
      kind: 'approved',
      step: id,
      by,
      message: `approved by ${by}${how}${comment ? `: ${comment}` : ''}${needed > 0 ? ` (${needed} more needed)` : ''}`,
    });
    if (needed === 0) this.decide(id, { kind: 'approve', by: step.approvedBy.join(', '), ...(comment ? { comment } : {}) });
    return { step: id, decision: 'approve', by, approvedBy: [...step.approvedBy], needed, decided: needed === 0 };
  }

  /**
   * The gate's timeout passed: from now on the next group may approve too (approvals given so
   * far still count). Returns the announcement.
   */
  escalate(id: string, level: EscalationLevel): string {
    const gate = this.gates.get(id)!;
    // An open gate (anyone may approve) stays open; a listed one widens to the new group.
    if (gate.approvers.length) gate.approvers = [...new Set([...gate.approvers, ...level.approvers])];
    gate.escalatedTo.push(level.group);
    const pending = this.progress.pendingApprovals.find((p) => p.step === id);
    if (pending) {
      pending.approvers = [...gate.approvers];
      pending.escalatedTo = [...gate.escalatedTo];
    }
    const needed = pending?.needed ?? gate.quorum;
    const message = `no decision on step "${id}" in time: escalated to ${level.group} (${level.approvers.join(', ')}); ${needed} approval(s) still needed`;
    this.log({ kind: 'escalated', step: id, message });
    return message;
  }

  /** The gate's timeout passed with no decision; `outcome` is what happens now. */
  timedOut(id: string, outcome: string): void {
    this.clearGate(id);
    this.log({ kind: 'approval-timed-out', step: id, message: `no decision on step "${id}" in time: ${outcome}` });
  }

  /** A drill does not wait at gates: it says it would have. */
  drillPasses(step: Step): void {
    this.clearGate(step.id);
    this.log({ kind: 'drill-note', step: step.id, message: `drill: would wait here for approval; not waiting` });
  }

  private decide(id: string, decision: Decision): void {
    this.decisions.set(id, decision);
    this.clearGate(id);
    // Approved, the step no longer waits for people: until it starts (at once, or after a
    // pause is lifted) it is pending again, with its approvers beside it.
    const step = this.stepOf(id);
    if (decision.kind === 'approve' && step?.status === 'awaiting-approval') step.status = 'pending';
  }

  private clearGate(id: string): void {
    this.progress.pendingApprovals = this.progress.pendingApprovals.filter((p) => p.step !== id);
    if (this.progress.pendingApprovals.length === 0 && this.progress.state === 'awaiting-approval') this.progress.state = 'running';
  }

  private stepOf(id: string) {
    return this.progress.steps.find((s) => s.id === id);
  }
}

function reject(type: DecisionRejection, message: string, step?: string, by?: string): Checked {
  return { ok: false, rejection: { type, message, ...(step ? { step } : {}), ...(by ? { by } : {}) } };
}
