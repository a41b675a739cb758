/**
 * The incident's progress as plain state. No Temporal import: the workflow drives it, unit
 * tests drive it directly, and the `progress` query returns its snapshot.
 */
import { ApprovalDesk, type Checked, type Decision, type Proof } from './approvals';
import type {
  ActionName,
  ControlKind,
  DecideResult,
  EscalationLevel,
  IncidentInput,
  IncidentProgress,
  IncidentState,
  OperatorDecision,
  ProofCheck,
  Step,
  StepProgress,
  StepResult,
  TimelineEvent,
  UndoRecord,
} from '../contract';
import { phaseOf } from '../contract/catalogue';
import { checkAlert, checkControl, checkOperator, checkPause, checkResume } from '../contract/checks';
import { FINAL_STATES, INITIAL_STATE } from '../contract/progress';
import { renderDetails, renderStatus } from './details';
import { ruleViolation } from '../contract/rules';

export type { Decision } from './approvals';

/** Targets with evidence captured or snapshotted: what the run-time guard checks a step against. */
export interface Evidence {
  captured: ReadonlySet<string>;
  snapshotted: ReadonlySet<string>;
}

export class IncidentTracker {
  readonly progress: IncidentProgress;
  private readonly approvals: ApprovalDesk;
  private operatorAnswer: OperatorDecision | undefined;
  /** Inventory targets with evidence captured / snapshotted by steps that succeeded. */
  private readonly done = { captured: new Set<string>(), snapshotted: new Set<string>() };
  /** Ids of the steps that succeeded, in the order they finished (concurrent steps finish in any order). */
  private readonly finished: string[] = [];

  constructor(
    incidentId: string,
    private readonly input: IncidentInput,
    private readonly now: () => string,
    /** `proofs`: gates may demand a proven identity (false when replaying an incident from before). */
    options: { proofs?: boolean } = {},
  ) {
    this.progress = {
      incidentId,
      class: input.class,
      severity: input.severity,
      title: input.title,
      mode: input.mode,
      targets: input.targets,
      ...(input.requestedBy ? { requestedBy: input.requestedBy } : {}),
      phase: input.steps[0] ? phaseOf(input.steps[0]) : 'freeze',
      state: INITIAL_STATE,
      startedAt: now(),
      steps: input.steps.map((step) => ({
        id: step.id,
        action: step.action,
        phase: phaseOf(step),
        status: 'pending',
        attempts: 0,
        needsApproval: step.approval?.required ?? false,
        ...(step.group ? { group: step.group.id } : {}),
        ...(step.fanOut ? { fanOut: step.fanOut.step, item: step.fanOut.item } : {}),
      })),
      pendingApprovals: [],
      controls: [],
      ...(input.playbook ? { playbook: input.playbook.name } : {}),
      timeline: [],
    };
    this.approvals = new ApprovalDesk(this.progress, input.severity, now, (e) => this.log(e), options.proofs ?? false);
    this.log({
      kind: 'incident-started',
      ...(input.requestedBy ? { by: input.requestedBy } : {}),
      message: `${input.mode === 'drill' ? 'DRILL ' : ''}${input.severity} ${input.class}: ${input.title}`,
    });
  }

  step(id: string): StepProgress {
    const found = this.progress.steps.find((s) => s.id === id);
    if (!found) throw new Error(`no step "${id}" in this incident`);
    return found;
  }

  enter(step: Step): void {
    this.progress.phase = phaseOf(step);
  }

  // --- approvals (the desk holds the gates; see approvals.ts) ------------------------------

  requestApproval(step: Step): void {
    this.approvals.request(step);
  }

  decisionFor(id: string): Decision | undefined {
    return this.approvals.decisionFor(id);
  }

  /** Can this decision apply? Changes nothing: the `decide` update's validator. */
  checkDecision(kind: Decision['kind'], raw: unknown): Checked {
    return this.approvals.check(kind, raw);
  }

  /** The worker's answer on a decision's proof, with the decision checked again. Changes nothing. */
  checkProof(checked: Extract<Checked, { ok: true }>, proof: ProofCheck): Checked {
    return this.approvals.withProof(checked, proof);
  }

  /** Apply a checked decision (the `decide` update's handler), with the proof the worker accepted. */
  applyDecision(checked: Extract<Checked, { ok: true }>, proof?: Proof): DecideResult {
    return this.approvals.apply(checked, proof);
  }

  /** An `approve` or `deny` signal that cannot apply: recorded, with the reason, where people look. */
  ignoreDecision(kind: Decision['kind'], rejection: Extract<Checked, { ok: false }>['rejection']): false {
    return this.ignore(rejection.step, rejection.by, `${kind} ignored: ${rejection.message}`);
  }

  /**
   * Take an `approve` or `deny` signal. Anything that cannot apply (bad shape, unknown step,
   * a step not waiting, a step already decided, an approver not allowed or counted already)
   * is recorded in the timeline as ignored, with the reason: a signal cannot answer its
   * sender, so the timeline is where they look.
   */
  receive(kind: Decision['kind'], raw: unknown): boolean {
    const checked = this.approvals.check(kind, raw);
    if (!checked.ok) return this.ignore(checked.rejection.step, checked.rejection.by, `${kind} ignored: ${checked.rejection.message}`);
    // A proven gate's decision waits for the worker's check: the workflow's handlers do that.
    if (checked.proofToCheck) throw new Error(`step "${checked.payload.step}" needs a proof checked by the worker; use checkProof`);
    this.approvals.apply(checked);
    return true;
  }

  /** Widen a timed-out gate to the next group; returns the announcement. */
  escalate(id: string, level: EscalationLevel): string {
    return this.approvals.escalate(id, level);
  }

  /** The gate's timeout passed with no decision; `outcome` is what happens now. */
  approvalTimedOut(id: string, outcome: 'abort' | 'skip' | 'proceed'): void {
    this.approvals.timedOut(id, outcome);
  }

  /** A drill does not wait at gates: it says who it would have waited for. */
  drillPassesGate(step: Step): void {
    this.approvals.drillPasses(step);
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
    const parsed = checkOperator(raw);
    if (!parsed.ok) return this.ignore(undefined, undefined, `operator ignored: ${parsed.issues.join('; ')}`);
    const answer = parsed.value;
    if (this.progress.pendingOperator?.step !== answer.step) {
      const waiting = this.progress.pendingOperator ? `step "${this.progress.pendingOperator.step}" is` : 'no step is';
      return this.ignore(answer.step, answer.by, `operator ignored: ${waiting} waiting for an operator, not "${answer.step}"`);
    }
    this.operatorAnswer = answer;
    delete this.progress.pendingOperator;
    this.progress.state = 'running';
    this.log({
      kind: 'operator-answered',
      step: answer.step,
      by: answer.by,
      message: `${answer.decision} by ${answer.by}${answer.comment ? `: ${answer.comment}` : ''}`,
    });
    return true;
  }

  // --- durable controls (rule 7) ----------------------------------------------------------

  addControl(kind: ControlKind, note: string, by: string, step?: string): void {
    this.progress.controls.push({ kind, note, by, at: this.now(), ...(step ? { step } : {}) });
    if (this.progress.state === 'awaiting-control') this.progress.state = 'running';
    this.log({ kind: 'control-recorded', ...(step ? { step } : {}), by, message: `control ${kind}: ${note}` });
  }

  receiveControl(raw: unknown): boolean {
    const parsed = checkControl(raw);
    if (!parsed.ok) return this.ignore(undefined, undefined, `control ignored: ${parsed.issues.join('; ')}`);
    if (this.isFinal()) return this.ignore(undefined, parsed.value.by, `control ignored: the incident has ended (${this.progress.state})`);
    this.addControl(parsed.value.kind, parsed.value.note, parsed.value.by);
    return true;
  }

  awaitControl(id: string): void {
    this.progress.state = 'awaiting-control';
    this.log({
      kind: 'control-awaited',
      step: id,
      message: 'waiting for a durable control before the note (rule 7): send the `control` signal or run `tourniquet control`',
    });
  }

  // --- pause and resume, status updates ----------------------------------------------------

  receivePause(raw: unknown): boolean {
    const parsed = checkPause(raw);
    if (!parsed.ok) return this.ignore(undefined, undefined, `pause ignored: ${parsed.issues.join('; ')}`);
    const { by, reason } = parsed.value;
    if (this.isFinal()) return this.ignore(undefined, by, `pause ignored: the incident has ended (${this.progress.state})`);
    if (this.progress.paused) return this.ignore(undefined, by, `pause ignored: already paused by ${this.progress.paused.by}`);
    this.progress.paused = { by, at: this.now(), ...(reason ? { reason } : {}) };
    if (this.progress.state === 'running') this.progress.state = 'paused';
    this.log({ kind: 'paused', by, message: `paused by ${by}${reason ? `: ${reason}` : ''}; no new step starts until resume` });
    return true;
  }

  receiveResume(raw: unknown): boolean {
    const parsed = checkResume(raw);
    if (!parsed.ok) return this.ignore(undefined, undefined, `resume ignored: ${parsed.issues.join('; ')}`);
    const { by, comment } = parsed.value;
    if (!this.progress.paused) return this.ignore(undefined, by, 'resume ignored: the incident is not paused');
    delete this.progress.paused;
    if (this.progress.state === 'paused') this.progress.state = 'running';
    this.log({ kind: 'resumed', by, message: `resumed by ${by}${comment ? `: ${comment}` : ''}` });
    return true;
  }

  isPaused(): boolean {
    return this.progress.paused !== undefined;
  }

  /** The loop reached a point where a step would start, and the incident is paused. */
  holding(): void {
    this.progress.state = 'paused';
  }

  /** One status update: a line anyone can read, recorded in the timeline; returns it. */
  statusUpdate(): string {
    const text = renderStatus(this.progress);
    this.progress.statusUpdates = (this.progress.statusUpdates ?? 0) + 1;
    this.log({ kind: 'status-update', message: text });
    return text;
  }

  // --- cancellation and undo (the saga) -------------------------------------------------

  cancelRequested(): void {
    delete this.progress.pendingOperator;
    this.progress.pendingApprovals = [];
    this.log({ kind: 'cancel-requested', message: 'cancel requested: undoing the changes made so far, newest first' });
  }

  undoStarted(step: string, action: ActionName): void {
    this.log({ kind: 'undo-started', step, message: `undo of "${step}": ${action}` });
  }

  undone(step: string, action: ActionName | undefined, status: UndoRecord['status'], message: string): void {
    (this.progress.undo ??= []).push({ step, ...(action ? { action } : {}), status, message, at: this.now() });
    const kind = status === 'succeeded' ? 'undo-succeeded' : status === 'failed' ? 'undo-failed' : 'undo-impossible';
    this.log({ kind, step, message });
  }

  // --- steps ------------------------------------------------------------------------------

  /**
   * Run-time guard of the ordering rules for incidents compiled from a playbook: the load-time
   * check proved the order; this proves the earlier steps actually succeeded.
   */
  violation(step: Step, done: Evidence = this.done): string | undefined {
    if (!this.input.playbook || !step.effects) return undefined;
    return ruleViolation(step, done);
  }

  /** The evidence that has succeeded so far, frozen: a group's members are guarded against what finished before it. */
  evidenceSoFar(): Evidence {
    return { captured: new Set(this.done.captured), snapshotted: new Set(this.done.snapshotted) };
  }

  /** The steps that succeeded, oldest first by when they finished: the saga undoes them newest first. */
  succeededInOrder(): string[] {
    return [...this.finished];
  }

  /**
   * Take an `alert` payload: a repeat or a resolution of the alert this incident was started
   * for. Recorded, never acted on: a resolved alert does not close the incident.
   */
  receiveAlert(raw: unknown): boolean {
    const parsed = checkAlert(raw);
    if (!parsed.ok) {
      this.ignore(undefined, undefined, `alert ignored: ${parsed.issues.join('; ')}`);
      return false;
    }
    const a = parsed.value;
    this.progress.alertReceivedAt ??= a.receivedAt;
    if (a.follows && !this.progress.follows) this.progress.follows = a.follows;
    const note = a.note ? ` [${a.note}]` : '';
    this.log({ kind: 'alert', by: a.source, message: `${a.status} from ${a.source} (received ${a.receivedAt}): ${a.summary}${note}` });
    if (a.raiseSeverity) this.raiseSeverity(a.note ?? 'the alert is flapping');
    return true;
  }

  /**
   * A flapping alert raises the severity one level, once: later raises are not news. The
   * approval desk keeps the severity the incident started with, so a gate's rules do not
   * change under people already deciding it.
   */
  private raiseSeverity(why: string): void {
    if (this.progress.severityRaised || this.isFinal()) return;
    const from = this.progress.severity;
    const to = from === 'S3' ? 'S2' : 'S1';
    this.progress.severityRaised = { from, to, at: this.now() };
    this.progress.severity = to;
    this.log({ kind: 'severity-raised', message: from === to ? `${why}: already ${from}, the highest` : `severity raised ${from} → ${to}: ${why}` });
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
    // The worker's account of when it ran, where it gives one (see StepResult.ranTo).
    if (result.ranFrom) progress.startedAt = result.ranFrom;
    progress.endedAt = result.ranTo ?? this.now();
    progress.attempts = result.attempt ?? 1;
    progress.summary = result.summary;
    if (result.data) progress.result = result.data;
    // In a drill the planned capture counts: the drill checks the order as if every step ran.
    if (step.effects) {
      for (const t of [...step.effects.captures, ...step.effects.snapshots]) this.done.captured.add(t);
      for (const t of step.effects.snapshots) this.done.snapshotted.add(t);
    }
    this.finished.push(step.id);
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

  finish(state: Extract<IncidentState, 'resolved' | 'aborted' | 'failed' | 'cancelled'>, message: string): void {
    this.progress.state = state;
    this.progress.endedAt = this.now();
    delete this.progress.pendingOperator;
    delete this.progress.paused;
    if (state === 'resolved') this.progress.phase = 'closed';
    this.log({ kind: 'incident-finished', message });
  }

  isFinal(): boolean {
    return FINAL_STATES.has(this.progress.state);
  }

  /** Markdown for the Temporal UI's "current details" panel. */
  details(): string {
    return renderDetails(this.progress);
  }

  private ignore(step: string | undefined, by: string | undefined, message: string): false {
    this.log({ kind: 'signal-ignored', ...(step ? { step } : {}), ...(by ? { by } : {}), message });
    return false;
  }

  private log(event: Omit<TimelineEvent, 'at'>): void {
    this.progress.timeline.push({ at: this.now(), ...event });
  }
}

export { phaseOf } from '../contract/catalogue';
