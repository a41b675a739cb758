/**
 * The incident's signal, query and update handlers, each with the description the Temporal
 * UI shows. Signals cannot answer, so one that cannot apply is recorded in the timeline as
 * `signal-ignored` with the reason; the `decide` update answers its caller instead.
 */
import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import {
  alertSignal,
  approveSignal,
  controlSignal,
  decideRequest,
  decideUpdate,
  denySignal,
  DESCRIPTIONS,
  formatIssues,
  operatorSignal,
  pauseSignal,
  progressQuery,
  resumeSignal,
} from '../contract';
import type { Checked } from './approvals';
import type { RunContext } from './run-context';

export function registerHandlers(ctx: RunContext): void {
  const { tracker } = ctx;
  const after = (changed: boolean) => void (changed && ctx.publish());
  setHandler(progressQuery, () => tracker.progress, { description: DESCRIPTIONS.progress });
  setHandler(approveSignal, (d) => after(tracker.receive('approve', d)), { description: DESCRIPTIONS.approve });
  setHandler(denySignal, (d) => after(tracker.receive('deny', d)), { description: DESCRIPTIONS.deny });
  setHandler(operatorSignal, (d) => after(tracker.receiveOperator(d)), { description: DESCRIPTIONS.operator });
  setHandler(controlSignal, (d) => after(tracker.receiveControl(d)), { description: DESCRIPTIONS.control });
  setHandler(pauseSignal, (d) => after(tracker.receivePause(d)), { description: DESCRIPTIONS.pause });
  setHandler(resumeSignal, (d) => after(tracker.receiveResume(d)), { description: DESCRIPTIONS.resume });
  // Recorded in the timeline only: an alert never steers the incident.
  setHandler(alertSignal, (a) => void tracker.receiveAlert(a), { description: DESCRIPTIONS.alert });

  /** Validator and handler share one check; the validator must not change anything. */
  const check = (raw: unknown): Extract<Checked, { ok: true }> => {
    const parsed = decideRequest.safeParse(raw);
    if (!parsed.success) throw ApplicationFailure.create({ type: 'InvalidDecision', message: formatIssues(parsed.error).join('; '), nonRetryable: true });
    const { decision, ...payload } = parsed.data;
    const checked = tracker.checkDecision(decision, payload);
    if (!checked.ok) throw ApplicationFailure.create({ type: checked.rejection.type, message: checked.rejection.message, nonRetryable: true });
    return checked;
  };
  setHandler(
    decideUpdate,
    (request) => {
      const result = tracker.applyDecision(check(request));
      ctx.publish();
      return result;
    },
    { validator: (request) => void check(request), description: DESCRIPTIONS.decide },
  );
}
