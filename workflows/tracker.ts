/**
 * The incident's progress as plain state. No Temporal import: the workflow drives it, unit
 * tests drive it directly, and the `progress` query returns its snapshot.
 */
import {
  alertNotice,
  approvalDecision,
  denyDecision,
  DEFAULT_PHASE,
  formatIssues,
  type IncidentInput,
  type IncidentProgress,
  type IncidentState,
  type Phase,
  type Step,
  type StepProgress,
  type StepResult,
  type TimelineEvent,
} from './contract';

export type Decision =
  | { kind: 'approve'; by: string; comment?: string }
  | { kind: 'deny'; by: string; reason: string };

export class IncidentTracker {
  readonly progress: IncidentProgress;
  private readonly decisions = new Map<string, Decision>();

  constructor(
    incidentId: string,
    input: IncidentInput,
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
      timeline: [],
    };
    this.log({ kind: 'incident-started', message: `${input.severity} ${input.class}: ${input.title}` });
  }

  step(id: string): StepProgress {
    const found = this.progress.steps.find((s) => s.id === id);
    if (!found) throw new Error(`no step "${id}" in this incident`);
    return found;
  }

  enter(step: Step): void {
    this.progress.phase = phaseOf(step);
  }

  requestApproval(id: string): void {
    const step = this.step(id);
    step.status = 'awaiting-approval';
    this.progress.state = 'awaiting-approval';
    this.progress.pendingApprovals.push({ step: id, since: this.now() });
    this.log({ kind: 'approval-requested', step: id, message: `step "${id}" waits for approval` });
  }

  decisionFor(id: string): Decision | undefined {
    return this.decisions.get(id);
  }

  /**
   * Take an `approve` or `deny` payload. Anything that cannot apply (bad shape, unknown step,
   * a step not waiting, a step already decided) is recorded in the timeline as ignored, with
   * the reason: a signal cannot answer its sender, so the timeline is where they look.
   */
  receive(kind: Decision['kind'], raw: unknown): boolean {
    const schema = kind === 'approve' ? approvalDecision : denyDecision;
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      this.ignore(undefined, undefined, `${kind} ignored: ${formatIssues(parsed.error).join('; ')}`);
      return false;
    }
    const payload = parsed.data;
    const step = this.progress.steps.find((s) => s.id === payload.step);
    if (!step) {
      const known = this.progress.steps.map((s) => s.id).join(', ');
      this.ignore(payload.step, payload.by, `${kind} ignored: no step "${payload.step}" (steps: ${known})`);
      return false;
    }
    if (step.status !== 'awaiting-approval' || this.decisions.has(step.id)) {
      this.ignore(step.id, payload.by, `${kind} ignored: step "${step.id}" is not waiting for approval (it is ${step.status})`);
      return false;
    }
    const decision: Decision =
      'reason' in payload
        ? { kind: 'deny', by: payload.by, reason: payload.reason }
        : { kind: 'approve', by: payload.by, ...(payload.comment ? { comment: payload.comment } : {}) };
    this.decisions.set(step.id, decision);
    this.progress.pendingApprovals = this.progress.pendingApprovals.filter((p) => p.step !== step.id);
    if (this.progress.pendingApprovals.length === 0) this.progress.state = 'running';
    const note = decision.kind === 'deny' ? `: ${decision.reason}` : decision.comment ? `: ${decision.comment}` : '';
    this.log({
      kind: decision.kind === 'approve' ? 'approved' : 'denied',
      step: step.id,
      by: payload.by,
      message: `${decision.kind === 'approve' ? 'approved' : 'denied'} by ${payload.by}${note}`,
    });
    return true;
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

  succeeded(id: string, result: StepResult): void {
    const step = this.step(id);
    step.status = 'succeeded';
    step.endedAt = this.now();
    step.attempts = result.attempt ?? 1;
    step.summary = result.summary;
    if (result.data) step.result = result.data;
    this.log({ kind: 'step-succeeded', step: id, message: result.summary });
  }

  failed(id: string, error: string, attempts: number): void {
    const step = this.step(id);
    step.status = 'failed';
    step.endedAt = this.now();
    step.attempts = attempts;
    step.error = error;
    this.log({ kind: 'step-failed', step: id, message: error });
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
    if (state === 'resolved') this.progress.phase = 'closed';
    this.log({ kind: 'incident-finished', message });
  }

  /** Markdown for the Temporal UI's "current details" panel. */
  details(): string {
    const p = this.progress;
    const lines = [`**${p.severity} ${p.class}**: ${p.title}`, `state: ${p.state}, phase: ${p.phase}`, ''];
    for (const s of p.steps) lines.push(`- ${STATUS_MARK[s.status]} \`${s.id}\` ${s.action} (${s.status})`);
    if (p.pendingApprovals.length) {
      lines.push('', `Waiting for approval: ${p.pendingApprovals.map((a) => a.step).join(', ')}.`);
      lines.push('Send the signal `approve` with `{"step": "<step id>", "by": "<your name>"}`.');
    }
    return lines.join('\n');
  }

  private ignore(step: string | undefined, by: string | undefined, message: string): void {
    this.log({ kind: 'signal-ignored', ...(step ? { step } : {}), ...(by ? { by } : {}), message });
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
