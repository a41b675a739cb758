/**
 * The incident's progress as plain state. No Temporal import: the workflow drives it, unit
 * tests drive it directly, and the `progress` query returns its snapshot.
 */
import {
  alertNotice,
  approvalDecision,
  controlRecord,
  denyDecision,
  DEFAULT_PHASE,
  formatIssues,
  operatorDecision,
  type ControlKind,
  type IncidentInput,
  type IncidentProgress,
  type IncidentState,
  type OperatorDecision,
  type Phase,
  type Step,
  type StepProgress,
  type StepResult,
  type TimelineEvent,
} from './contract';
import { ruleViolation } from './rules';

export type Decision =
  | { kind: 'approve'; by: string; comment?: string }
  | { kind: 'deny'; by: string; reason: string };

export class IncidentTracker {
  readonly progress: IncidentProgress;
  private readonly decisions = new Map<string, Decision>();
  private readonly approvals = new Map<string, { by: string; comment?: string }[]>();
  private readonly gates = new Map<string, { approvers: string[]; quorum: number }>();
  private operatorAnswer: OperatorDecision | undefined;
  /** Inventory targets with evidence captured / snapshotted by steps that succeeded. */
  private readonly done = { captured: new Set<string>(), snapshotted: new Set<string>() };

  constructor(
    incidentId: string,
    private readonly input: IncidentInput,
    private readonly now: () => string,
  ) {
    this.progress = {
      incidentId,
      class: input.class,
      severity: input.severity,
      title: input.title,
      mode: input.mode,
      targets: input.targets,
      phase: input.steps[0] ? phaseOf(input.steps[0]) : 'freeze',
      state: 'running',
      startedAt: now(),
      steps: input.steps.map((step) => ({
        id: step.id,
        action: step.action,
        phase: phaseOf(step),
        status: 'pending',
        attempts: 0,
        needsApproval: step.approval?.required ?? false,
      })),
      pendingApprovals: [],
      controls: [],
      ...(input.playbook ? { playbook: input.playbook.name } : {}),
      timeline: [],
    };
    this.log({ kind: 'incident-started', message: `${input.mode === 'drill' ? 'DRILL ' : ''}${input.severity} ${input.class}: ${input.title}` });
  }

  step(id: string): StepProgress {
    const found = this.progress.steps.find((s) => s.id === id);
    if (!found) throw new Error(`no step "${id}" in this incident`);
    return found;
  }

  enter(step: Step): void {
    this.progress.phase = phaseOf(step);
  }

  // --- approvals -------------------------------------------------------------------------

  requestApproval(step: Step): void {
    const progress = this.step(step.id);
    const approvers = step.approval?.approvers ?? [];
    const quorum = step.approval?.quorum ?? 1;
    this.gates.set(step.id, { approvers, quorum });
    progress.status = 'awaiting-approval';
    progress.approvalsNeeded = quorum;
    this.progress.state = 'awaiting-approval';
    this.progress.pendingApprovals.push({ step: step.id, since: this.now(), approvers, needed: quorum });
    const who = approvers.length ? ` by ${quorum === 1 ? 'one of' : `${quorum} of`} ${approvers.join(', ')}` : quorum > 1 ? ` by ${quorum} people` : '';
    this.log({ kind: 'approval-requested', step: step.id, message: `step "${step.id}" waits for approval${who}` });
  }

  decisionFor(id: string): Decision | undefined {
    return this.decisions.get(id);
  }

  /**
   * Take an `approve` or `deny` payload. Anything that cannot apply (bad shape, unknown step,
   * a step not waiting, a step already decided, an approver not allowed or counted already)
   * is recorded in the timeline as ignored, with the reason: a signal cannot answer its
   * sender, so the timeline is where they look.
   */
  receive(kind: Decision['kind'], raw: unknown): boolean {
    const schema = kind === 'approve' ? approvalDecision : denyDecision;
    const parsed = schema.safeParse(raw);
    if (!parsed.success) return this.ignore(undefined, undefined, `${kind} ignored: ${formatIssues(parsed.error).join('; ')}`);
    const payload = parsed.data;
    const step = this.progress.steps.find((s) => s.id === payload.step);
    if (!step) {
      const known = this.progress.steps.map((s) => s.id).join(', ');
      return this.ignore(payload.step, payload.by, `${kind} ignored: no step "${payload.step}" (steps: ${known})`);
    }
    const gate = this.gates.get(step.id);
    if (step.status !== 'awaiting-approval' || !gate || this.decisions.has(step.id)) {
      return this.ignore(step.id, payload.by, `${kind} ignored: step "${step.id}" is not waiting for approval (it is ${step.status})`);
    }
    if (gate.approvers.length && !gate.approvers.includes(payload.by)) {
      return this.ignore(step.id, payload.by, `${kind} ignored: ${payload.by} may not decide step "${step.id}" (allowed: ${gate.approvers.join(', ')})`);
    }
    if ('reason' in payload) {
      this.decide(step.id, { kind: 'deny', by: payload.by, reason: payload.reason });
      this.log({ kind: 'denied', step: step.id, by: payload.by, message: `denied by ${payload.by}: ${payload.reason}` });
      return true;
    }
    const given = this.approvals.get(step.id) ?? [];
    if (given.some((a) => a.by === payload.by)) {
      return this.ignore(step.id, payload.by, `approve ignored: ${payload.by} already approved step "${step.id}"; it needs ${gate.quorum} different people`);
    }
    given.push({ by: payload.by, ...(payload.comment ? { comment: payload.comment } : {}) });
    this.approvals.set(step.id, given);
    step.approvedBy = given.map((a) => a.by);
    const needed = gate.quorum - given.length;
    step.approvalsNeeded = Math.max(needed, 0);
    const pending = this.progress.pendingApprovals.find((p) => p.step === step.id);
    if (pending) pending.needed = Math.max(needed, 0);
    this.log({
      kind: 'approved',
      step: step.id,
      by: payload.by,
      message: `approved by ${payload.by}${payload.comment ? `: ${payload.comment}` : ''}${needed > 0 ? ` (${needed} more needed)` : ''}`,
    });
    if (needed <= 0) this.decide(step.id, { kind: 'approve', by: given.map((a) => a.by).join(', '), ...(payload.comment ? { comment: payload.comment } : {}) });
    return true;
  }

  /** The gate's timeout passed with no decision; `outcome` is the step's onTimeout. */
  approvalTimedOut(id: string, outcome: 'abort' | 'skip' | 'proceed'): void {
    this.clearGate(id);
    this.log({ kind: 'approval-timed-out', step: id, message: `no decision on step "${id}" in time: ${outcome}` });
  }

  /** A drill does not wait at gates: it says who it would have waited for. */
  drillPassesGate(step: Step): void {
    this.clearGate(step.id);
    this.log({ kind: 'drill-note', step: step.id, message: `drill: would wait here for approval; not waiting` });
  }

  private decide(id: string, decision: Decision): void {
    this.decisions.set(id, decision);
    this.clearGate(id);
  }

  private clearGate(id: string): void {
    this.progress.pendingApprovals = this.progress.pendingApprovals.filter((p) => p.step !== id);
    if (this.progress.pendingApprovals.length === 0 && this.progress.state === 'awaiting-approval') this.progress.state = 'running';
  }

  // --- operator answers for failed steps (onFailure: ask) ---------------------------------

  askOperator(id: string, error: string): void {
    this.operatorAnswer = undefined;
    this.progress.state = 'awaiting-operator';
    this.progress.pendingOperator = { step: id, error, since: this.now() };
    this.log({ kind: 'operator-asked', step: id, message: `step "${id}" failed and waits for an operator: retry, skip or abort` });
  }

  operatorDecision(): OperatorDecision | undefined {
    return this.operatorAnswer;
  }

  receiveOperator(raw: unknown): boolean {
    const parsed = operatorDecision.safeParse(raw);
    if (!parsed.success) return this.ignore(undefined, undefined, `operator ignored: ${formatIssues(parsed.error).join('; ')}`);
    const answer = parsed.data;
    if (this.progress.pendingOperator?.step !== answer.step) {
      const waiting = this.progress.pendingOperator ? `step "${this.progress.pendingOperator.step}" is` : 'no step is';
      return this.ignore(answer.step, answer.by, `operator ignored: ${waiting} waiting for an operator, not "${answer.step}"`);
    }
    this.operatorAnswer = answer;
    delete this.progress.pendingOperator;
    this.progress.state = 'running';
    this.log({ kind: 'operator-answered', step: answer.step, by: answer.by, message: `${answer.decision} by ${answer.by}${answer.comment ? `: ${answer.comment}` : ''}` });
    return true;
  }

  // --- durable controls (rule 7) ----------------------------------------------------------

  addControl(kind: ControlKind, note: string, by: string, step?: string): void {
    this.progress.controls.push({ kind, note, by, at: this.now(), ...(step ? { step } : {}) });
    if (this.progress.state === 'awaiting-control') this.progress.state = 'running';
    this.log({ kind: 'control-recorded', ...(step ? { step } : {}), by, message: `control ${kind}: ${note}` });
  }

  receiveControl(raw: unknown): boolean {
    const parsed = controlRecord.safeParse(raw);
    if (!parsed.success) return this.ignore(undefined, undefined, `control ignored: ${formatIssues(parsed.error).join('; ')}`);
    if (this.isFinal()) return this.ignore(undefined, parsed.data.by, `control ignored: the incident has ended (${this.progress.state})`);
    this.addControl(parsed.data.kind, parsed.data.note, parsed.data.by);
    return true;
  }

  awaitControl(id: string): void {
    this.progress.state = 'awaiting-control';
    this.log({ kind: 'rule-violation', step: id, message: 'rule 7 (no close without a durable control): waiting for a control; send the `control` signal or run `tourniquet control`' });
  }

  // --- steps ------------------------------------------------------------------------------

  /**
   * Run-time guard of the ordering rules for incidents compiled from a playbook: the load-time
   * check proved the order; this proves the earlier steps actually succeeded.
   */
  violation(step: Step): string | undefined {
    if (!this.input.playbook || !step.effects) return undefined;
    return ruleViolation(step, this.done);
  }

  /**
   * Take an `alert` payload: a repeat or a resolution of the alert this incident was started
   * for. Recorded, never acted on: a resolved alert does not close the incident.
   */
  receiveAlert(raw: unknown): boolean {
    const parsed = alertNotice.safeParse(raw);
    if (!parsed.success) {
      this.ignore(undefined, undefined, `alert ignored: ${formatIssues(parsed.error).join('; ')}`);
      return false;
    }
    const a = parsed.data;
    this.log({ kind: 'alert', by: a.source, message: `${a.status} from ${a.source} (received ${a.receivedAt}): ${a.summary}` });
    return true;
  }

  started(id: string): void {
    const step = this.step(id);
    step.status = 'running';
    step.startedAt = this.now();
    this.log({ kind: 'step-started', step: id, message: `${step.action} started` });
  }

  succeeded(step: Step, result: StepResult): void {
    const progress = this.step(step.id);
    progress.status = 'succeeded';
    progress.endedAt = this.now();
    progress.attempts = result.attempt ?? 1;
    progress.summary = result.summary;
    if (result.data) progress.result = result.data;
    // In a drill the planned capture counts: the drill checks the order as if every step ran.
    if (step.effects) {
      for (const t of [...step.effects.captures, ...step.effects.snapshots]) this.done.captured.add(t);
      for (const t of step.effects.snapshots) this.done.snapshotted.add(t);
    }
    this.log({ kind: 'step-succeeded', step: step.id, message: result.summary });
  }

  failed(id: string, error: string, attempts: number): void {
    const step = this.step(id);
    step.status = 'failed';
    step.endedAt = this.now();
    step.attempts = attempts;
    step.error = error;
    this.log({ kind: 'step-failed', step: id, message: error });
  }

  retrying(id: string): void {
    const step = this.step(id);
    step.status = 'pending';
    delete step.error;
    delete step.endedAt;
  }

  skipped(id: string, why: string): void {
    const step = this.step(id);
    step.status = 'skipped';
    step.endedAt = this.now();
    this.log({ kind: 'step-skipped', step: id, message: why });
  }

  finish(state: Extract<IncidentState, 'resolved' | 'aborted' | 'failed'>, message: string): void {
    this.progress.state = state;
    this.progress.endedAt = this.now();
    delete this.progress.pendingOperator;
    if (state === 'resolved') this.progress.phase = 'closed';
    this.log({ kind: 'incident-finished', message });
  }

  isFinal(): boolean {
    return this.progress.state === 'resolved' || this.progress.state === 'aborted' || this.progress.state === 'failed';
  }

  /** Markdown for the Temporal UI's "current details" panel. */
  details(): string {
    const p = this.progress;
    const lines = [`**${p.mode === 'drill' ? 'DRILL ' : ''}${p.severity} ${p.class}**: ${p.title}`, `state: ${p.state}, phase: ${p.phase}`, ''];
    for (const s of p.steps) lines.push(`- ${STATUS_MARK[s.status]} \`${s.id}\` ${s.action} (${s.status})`);
    for (const a of p.pendingApprovals) {
      lines.push('', `Waiting for ${a.needed} approval(s) of \`${a.step}\`${a.approvers.length ? ` from ${a.approvers.join(', ')}` : ''}.`);
      lines.push(`Send the signal \`approve\` with \`{"step": "${a.step}", "by": "<your name>"}\`.`);
    }
    if (p.pendingOperator) lines.push('', `Step \`${p.pendingOperator.step}\` failed: send \`operator\` with \`{"step": "${p.pendingOperator.step}", "by": "<name>", "decision": "retry"}\` (or skip, abort).`);
    if (p.state === 'awaiting-control') lines.push('', 'Waiting for a durable control: send `control` with `{"kind": "approval-gate", "note": "...", "by": "<name>"}`.');
    return lines.join('\n');
  }

  private ignore(step: string | undefined, by: string | undefined, message: string): false {
    this.log({ kind: 'signal-ignored', ...(step ? { step } : {}), ...(by ? { by } : {}), message });
    return false;
  }

  private log(event: Omit<TimelineEvent, 'at'>): void {
    this.progress.timeline.push({ at: this.now(), ...event });
  }
}

const STATUS_MARK: Record<StepProgress['status'], string> = {
  pending: '·',
  'awaiting-approval': '⏸',
  running: '▶',
  succeeded: '✔',
  failed: '✘',
  skipped: '↷',
};

export function phaseOf(step: Step): Phase {
  return step.phase ?? DEFAULT_PHASE[step.action];
}
