/**
 * Where the incident waits for people: approval gates (with timeout, escalation and deny
 * policies), the durable-control wait before the note (rule 7), and an operator's pause.
 */
import { condition, log } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { Step } from '../contract';
import { announce } from './announce';
import { IncidentEnd, type RunContext } from './run-context';

/** Wait for the approvals a step needs; returns 'skip' when the step is not to run. */
export async function approvalGate(ctx: RunContext, step: Step): Promise<'run' | 'skip'> {
  const { tracker, publish } = ctx;
  const gate = step.approval!;
  tracker.requestApproval(step);
  publish();
  if (ctx.drill) {
    tracker.drillPassesGate(step);
    return 'run';
  }
  log.info('waiting for approval', { step: step.id });
  const decided = () => tracker.decisionFor(step.id) !== undefined;
  const levels = gate.escalateTo ?? [];
  let escalations = 0;
  for (;;) {
    const inTime = gate.timeout === undefined ? (await condition(decided), true) : await condition(decided, gate.timeout as Duration);
    if (inTime) break;
    if (gate.onTimeout === 'escalate' && escalations < levels.length) {
      const text = tracker.escalate(step.id, levels[escalations++]!);
      announce(tracker.progress.incidentId, 'warning', text);
      publish();
      continue; // and wait another timeout, now for the wider group too
    }
    const outcome = gate.onTimeout === 'escalate' ? 'abort' : gate.onTimeout;
    tracker.approvalTimedOut(step.id, outcome);
    if (outcome === 'proceed') return 'run';
    if (outcome === 'skip') return skip(ctx, step, 'skipped: no decision in time');
    const after = escalations ? ` and after escalating to ${levels.map((l) => l.group).join(', ')}` : '';
    throw new IncidentEnd('aborted', 'IncidentAborted', `step "${step.id}" had no decision within ${String(gate.timeout)}${after}`);
  }
  const decision = tracker.decisionFor(step.id)!;
  if (decision.kind === 'approve') return 'run';
  if (gate.onDeny === 'skip') return skip(ctx, step, `skipped: denied by ${decision.by}`);
  throw new IncidentEnd('aborted', 'IncidentAborted', `step "${step.id}" denied by ${decision.by}: ${decision.reason}`);
}

export function skip(ctx: RunContext, step: Step, why: string): 'skip' {
  ctx.tracker.skipped(step.id, why);
  ctx.publish();
  return 'skip';
}

/** Rule 7: a playbook's incident writes its note only once a durable control is recorded. */
export async function controlGate(ctx: RunContext, step: Step): Promise<void> {
  const { tracker } = ctx;
  if (tracker.progress.controls.length) return;
  if (ctx.drill) {
    tracker.drillPassesGate(step);
    return;
  }
  tracker.awaitControl(step.id);
  ctx.publish();
  await condition(() => tracker.progress.controls.length > 0);
}

/** Hold here while an operator has the incident paused: no new step starts. */
export async function unpaused(ctx: RunContext): Promise<void> {
  const { tracker } = ctx;
  if (!tracker.isPaused()) return;
  tracker.holding();
  ctx.publish();
  await condition(() => !tracker.isPaused());
  ctx.publish();
}
