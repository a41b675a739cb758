/**
 * The `incident` workflow: runs an incident's steps in order as activities, holding at
 * approval gates until enough people approve, asking an operator when a step with
 * `onFailure: ask` fails, and (for playbooks) refusing to close without a durable control.
 *
 * Runs in Temporal's sandbox: deterministic, no Node APIs. Time comes from the workflow
 * clock (`Date` is replay-safe here), logs from `log` (silent during replay).
 */
import { ActivityFailure, ApplicationFailure, condition, log, patched, setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { RetryState, type Duration } from '@temporalio/common';
import {
  alertSignal,
  approveSignal,
  controlSignal,
  denySignal,
  DESCRIPTIONS,
  formatIssues,
  incidentInputSchema,
  operatorSignal,
  progressQuery,
  type IncidentInput,
  type IncidentInputDraft,
  type IncidentProgress,
  type Step,
} from './contract';
import { INCIDENT_CLASS_KEY, INCIDENT_PHASE_KEY } from './search-attributes';
import { activityOptionsFor } from './presets';
import { runStep } from './run-step';
import { IncidentTracker, phaseOf } from './tracker';

/** Thrown inside the loop to end the incident; caught once at the bottom. */
class IncidentEnd extends Error {
  constructor(
    readonly state: 'aborted' | 'failed',
    readonly type: 'IncidentAborted' | 'IncidentFailed',
    message: string,
  ) {
    super(message);
  }
}

export async function incident(draft: IncidentInputDraft): Promise<IncidentProgress> {
  // The client validates too; this is the guard for starts that bypass it (UI, other SDKs).
  const parsed = incidentInputSchema.safeParse(draft);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(`invalid incident input: ${formatIssues(parsed.error).join('; ')}`, 'InvalidIncidentInput');
  }
  const input = parsed.data;
  const drill = input.mode === 'drill';
  const tracker = new IncidentTracker(workflowInfo().workflowId, input, () => new Date().toISOString());
  // Search attributes are set by the client at start when the server has them registered;
  // upserting an unregistered one would fail every workflow task, so follow the client's lead.
  const searchable = workflowInfo().typedSearchAttributes.get(INCIDENT_CLASS_KEY) !== undefined;
  // Each upsert is a history event: write the phase only when it changes. Incidents started
  // before this change upserted on every publish and must keep doing so on replay.
  const upsertOnChangeOnly = patched('upsert-phase-on-change');
  let publishedPhase: string | undefined;
  const publish = () => {
    setCurrentDetails(tracker.details());
    const phase = String(tracker.progress.phase);
    if (searchable && (!upsertOnChangeOnly || phase !== publishedPhase)) {
      upsertSearchAttributes([{ key: INCIDENT_PHASE_KEY, value: phase }]);
      publishedPhase = phase;
    }
  };

  setHandler(progressQuery, () => tracker.progress, { description: DESCRIPTIONS.progress });
  setHandler(approveSignal, (d) => void (tracker.receive('approve', d) && publish()), { description: DESCRIPTIONS.approve });
  setHandler(denySignal, (d) => void (tracker.receive('deny', d) && publish()), { description: DESCRIPTIONS.deny });
  setHandler(operatorSignal, (d) => void (tracker.receiveOperator(d) && publish()), { description: DESCRIPTIONS.operator });
  setHandler(controlSignal, (d) => void (tracker.receiveControl(d) && publish()), { description: DESCRIPTIONS.control });
  setHandler(alertSignal, (a) => void tracker.receiveAlert(a), { description: DESCRIPTIONS.alert });
  publish();

  try {
    for (const step of input.steps) {
      tracker.enter(step);
      if (step.approval?.required && (await approvalGate(step)) === 'skip') continue;
      if (step.action === 'recordControl') {
        tracker.addControl(step.args.kind, step.args.note, input.playbook ? `playbook ${input.playbook.name}` : 'incident', step.id);
        tracker.skipped(step.id, 'recorded by the workflow');
        tracker.step(step.id).status = 'succeeded';
        publish();
        continue;
      }
      if (step.action === 'writeNote' && input.playbook) await controlGate(step);
      const refused = tracker.violation(step);
      if (refused) {
        tracker.failed(step.id, refused, 0);
        if (drill) continue;
        throw new IncidentEnd('failed', 'IncidentFailed', refused);
      }
      await attempt(step);
    }
  } catch (err) {
    if (!(err instanceof IncidentEnd)) throw err;
    tracker.finish(err.state, err.message);
    publish();
    throw ApplicationFailure.nonRetryable(err.message, err.type);
  }
  const failures = tracker.progress.steps.filter((s) => s.status === 'failed').length;
  if (drill && failures) {
    const message = `drill found ${failures} step(s) that would fail`;
    tracker.finish('failed', message);
    publish();
    throw ApplicationFailure.nonRetryable(message, 'IncidentFailed');
  }
  tracker.finish('resolved', drill ? 'drill complete: nothing was changed' : 'all steps done');
  publish();
  return tracker.progress;

  /** Wait for the approvals a step needs; returns 'skip' when the step is not to run. */
  async function approvalGate(step: Step): Promise<'run' | 'skip'> {
    const gate = step.approval!;
    tracker.requestApproval(step);
    publish();
    if (drill) {
      tracker.drillPassesGate(step);
      return 'run';
    }
    log.info('waiting for approval', { step: step.id });
    const decided = () => tracker.decisionFor(step.id) !== undefined;
    const inTime = gate.timeout === undefined ? (await condition(decided), true) : await condition(decided, gate.timeout as Duration);
    if (!inTime) {
      tracker.approvalTimedOut(step.id, gate.onTimeout);
      if (gate.onTimeout === 'proceed') return 'run';
      if (gate.onTimeout === 'skip') return skip(step, 'skipped: no decision in time');
      throw new IncidentEnd('aborted', 'IncidentAborted', `step "${step.id}" had no decision within ${String(gate.timeout)}`);
    }
    const decision = tracker.decisionFor(step.id)!;
    if (decision.kind === 'approve') return 'run';
    if (gate.onDeny === 'skip') return skip(step, `skipped: denied by ${decision.by}`);
    throw new IncidentEnd('aborted', 'IncidentAborted', `step "${step.id}" denied by ${decision.by}: ${decision.reason}`);
  }

  function skip(step: Step, why: string): 'skip' {
    tracker.skipped(step.id, why);
    publish();
    return 'skip';
  }

  /** Rule 7: a playbook's incident writes its note only once a durable control is recorded. */
  async function controlGate(step: Step): Promise<void> {
    if (tracker.progress.controls.length) return;
    if (drill) {
      tracker.drillPassesGate(step);
      return;
    }
    tracker.awaitControl(step.id);
    publish();
    await condition(() => tracker.progress.controls.length > 0);
  }

  /** Run a step; on failure apply its policy (abort, continue, or ask an operator). */
  async function attempt(step: Step): Promise<void> {
    for (;;) {
      tracker.started(step.id);
      publish();
      try {
        const result = await runStep(step, { plan: drill, input, progress: tracker.progress });
        tracker.succeeded(step, result);
        publish();
        return;
      } catch (err) {
        const { message, attempts } = describeFailure(err, step);
        tracker.failed(step.id, message, attempts);
        // A drill collects every problem instead of stopping at the first.
        if (drill || step.onFailure === 'continue') return publish();
        if (step.onFailure === 'abort') throw new IncidentEnd('failed', 'IncidentFailed', `step "${step.id}" (${phaseOf(step)}) failed: ${message}`);
        tracker.askOperator(step.id, message);
        publish();
        await condition(() => tracker.operatorDecision() !== undefined);
        const answer = tracker.operatorDecision()!;
        if (answer.decision === 'skip') return void skip(step, `skipped by ${answer.by} after failing`);
        if (answer.decision === 'abort') throw new IncidentEnd('aborted', 'IncidentAborted', `step "${step.id}" failed and ${answer.by} aborted the incident`);
        tracker.retrying(step.id);
      }
    }
  }
}

/** The innermost message of an activity failure, and how many attempts were spent. */
function describeFailure(err: unknown, step: Step): { message: string; attempts: number } {
  if (!(err instanceof ActivityFailure)) throw err; // cancellation and bugs are not step failures
  const cause = err.cause;
  const message = cause?.message ?? err.message;
  let attempts = 1;
  if (cause instanceof ApplicationFailure) {
    const detail = cause.details?.[0] as { attempt?: number } | undefined;
    if (typeof detail?.attempt === 'number') attempts = detail.attempt;
  }
  if (err.retryState === RetryState.MAXIMUM_ATTEMPTS_REACHED) {
    attempts = Math.max(attempts, activityOptionsFor(step).retry?.maximumAttempts ?? attempts);
  }
  return { message: cause instanceof ApplicationFailure && cause.type ? `${cause.type}: ${message}` : message, attempts };
}

export type { IncidentInput };
