/**
 * The incident's signal, query and update handlers, each with the description the Temporal
 * UI shows. Signals cannot answer, so one that cannot apply is recorded in the timeline as
 * `signal-ignored` with the reason; the `decide` update answers its caller instead.
 */
import { ApplicationFailure, patched, setHandler } from '@temporalio/workflow';
import { checkDecide } from '../contract/checks';
import {
  alertSignal,
  alertsSignal,
  approveSignal,
  controlSignal,
  decideUpdate,
  denySignal,
  DESCRIPTIONS,
  operatorSignal,
  pauseSignal,
  progressQuery,
  resumeSignal,
} from '../contract/definitions';
import type { Checked, Proof } from './approvals';
import { proveIdentity } from './identity';
import type { RunContext } from './run-context';

export function registerHandlers(ctx: RunContext): void {
  const { tracker } = ctx;
  // An ignored signal changes no state worth a search attribute, but the UI's current details
  // show it: the sender is looking there, not at the timeline.
  const after = (changed: boolean) => void (changed ? ctx.publish() : ctx.showDetails());
  const incidentId = tracker.progress.incidentId;

  /**
   * An approve/deny signal. A decision on a proven gate waits for the worker's check of its
   * proof; other signals may land meanwhile, so it is checked again before it applies.
   */
  const receive = async (kind: 'approve' | 'deny', raw: unknown): Promise<void> => {
    const checked = tracker.checkDecision(kind, raw);
    if (!checked.ok) return after(tracker.ignoreDecision(kind, checked.rejection));
    if (!checked.proofToCheck) {
      tracker.applyDecision(checked);
      return after(true);
    }
    const proof = await proveIdentity(incidentId, checked);
    const proven = tracker.checkProof(checked, proof);
    if (!proven.ok) return after(tracker.ignoreDecision(kind, proven.rejection));
    tracker.applyDecision(proven, proof as Proof);
    after(true);
  };
  setHandler(progressQuery, () => tracker.progress, { description: DESCRIPTIONS.progress });
  setHandler(approveSignal, (d) => receive('approve', d), { description: DESCRIPTIONS.approve });
  setHandler(denySignal, (d) => receive('deny', d), { description: DESCRIPTIONS.deny });
  setHandler(operatorSignal, (d) => after(tracker.receiveOperator(d)), { description: DESCRIPTIONS.operator });
  setHandler(controlSignal, (d) => after(tracker.receiveControl(d)), { description: DESCRIPTIONS.control });
  setHandler(pauseSignal, (d) => after(tracker.receivePause(d)), { description: DESCRIPTIONS.pause });
  setHandler(resumeSignal, (d) => after(tracker.receiveResume(d)), { description: DESCRIPTIONS.resume });
  // Recorded in the timeline; an alert never steers the incident, but a flapping one may
  // raise its severity once (the search attribute follows, for incidents started since).
  const receiveAlert = (a: unknown) => {
    const before = tracker.progress.severity;
    tracker.receiveAlert(a);
    if (tracker.progress.severity !== before && (ctx.localSteps || patched('alert-severity-raise'))) ctx.publishSeverity();
  };
  setHandler(alertSignal, receiveAlert, { description: DESCRIPTIONS.alert });
  // Anything but a list is taken as one notice, and ignored with its reason if it is not one.
  setHandler(alertsSignal, (notices) => (Array.isArray(notices) ? notices : [notices]).forEach(receiveAlert), { description: DESCRIPTIONS.alerts });

  /** Validator and handler share one check; the validator must not change anything. */
  const check = (raw: unknown): Extract<Checked, { ok: true }> => {
    const parsed = checkDecide(raw);
    if (!parsed.ok) throw ApplicationFailure.create({ type: 'InvalidDecision', message: parsed.issues.join('; '), nonRetryable: true });
    const { decision, ...payload } = parsed.value;
    return refuse(tracker.checkDecision(decision, payload));
  };
  const refuse = (checked: Checked): Extract<Checked, { ok: true }> => {
    if (!checked.ok) throw ApplicationFailure.create({ type: checked.rejection.type, message: checked.rejection.message, nonRetryable: true });
    return checked;
  };
  setHandler(
    decideUpdate,
    async (request) => {
      const checked = check(request);
      if (!checked.proofToCheck) {
        const result = tracker.applyDecision(checked);
        ctx.publish();
        return result;
      }
      // The validator saw a proof; only the worker can say whether it is valid.
      const proof = await proveIdentity(incidentId, checked);
      const result = tracker.applyDecision(refuse(tracker.checkProof(checked, proof)), proof as Proof);
      ctx.publish();
      return result;
    },
    { validator: (request) => void check(request), description: DESCRIPTIONS.decide },
  );
}
