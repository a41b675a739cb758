/**
 * `tourniquet retry <id> --from <step>`: a failed or aborted incident continues from a step.
 *
 * It is a Temporal reset of the incident's own workflow to the workflow task in which the
 * step began (right after the last earlier step's activity ended), rather than a new linked
 * run. The reset keeps everything before that point in the history (the earlier steps' results,
 * their approvals, the evidence hashes), so nothing done before the step runs again, and the
 * incident keeps its id, timeline and note. Signals and updates after that point are not
 * reapplied, so every approval gate from the step on asks again: approvals given before the
 * failure do not carry over. A follow-up run would have had to carry the earlier results
 * over itself and teach the workflow to start in the middle; the reset gets both from the
 * history, where they already are, and needs no change to the workflow.
 *
 * Cancelled incidents are refused: their changes were undone, and a reset would forget the
 * undo while the world remembers it.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import proto from '@temporalio/proto';
import { Problem } from '../common/errors';
import { getProgress } from './incidents';

const { temporal } = proto;
const EventType = temporal.api.enums.v1.EventType;

export interface Retried {
  id: string;
  /** The run that continues the incident. */
  runId: string;
  from: string;
  /** The workflow task the incident was reset to (an event id of the old run). */
  resetTo: number;
  /** Steps that will run again, in order, each asking for approval again when it is gated. */
  rerun: string[];
}

const stepOf = (payload: unknown): string | undefined => {
  try {
    const ctx = defaultPayloadConverter.fromPayload(payload as never) as { stepId?: unknown };
    return typeof ctx?.stepId === 'string' ? ctx.stepId : undefined;
  } catch {
    return undefined;
  }
};

export async function retryIncident(client: Client, id: string, from: string, by: string): Promise<Retried> {
  const handle = client.workflow.getHandle(id);
  const description = await handle.describe().catch((err: unknown) => {
    throw (err as { name?: string }).name === 'WorkflowNotFoundError' ? new Problem('UnknownIncident', `no incident "${id}" on this server`) : err;
  });
  if (description.status.name !== 'FAILED') {
    const why = description.status.name === 'CANCELLED' ? 'its changes were undone; start a new incident' : 'only a failed or aborted incident continues';
    throw new Problem('Refused', `incident ${id} is ${description.status.name.toLowerCase()}: ${why}`);
  }
  const progress = await getProgress(client, id);
  const index = progress.steps.findIndex((s) => s.id === from);
  if (index < 0) throw new Problem('UnknownStep', `incident ${id} has no step "${from}" (steps: ${progress.steps.map((s) => s.id).join(', ')})`);
  const stopped = progress.steps.findIndex((s) => s.status !== 'succeeded' && s.status !== 'skipped');
  if (stopped >= 0 && index > stopped) {
    throw new Problem('Refused', `step "${progress.steps[stopped]!.id}" did not finish: continue from it or an earlier step, not from "${from}"`);
  }
  const earlier = new Set(progress.steps.slice(0, index).map((s) => s.id));

  const events = (await handle.fetchHistory()).events ?? [];
  const scheduledStep = new Map<string, string | undefined>();
  let lastEarlierEnd = 0;
  for (const e of events) {
    const eventId = Number(e.eventId);
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
      scheduledStep.set(String(e.eventId), stepOf(e.activityTaskScheduledEventAttributes?.input?.payloads?.[0]));
      continue;
    }
    const scheduled =
      e.activityTaskCompletedEventAttributes?.scheduledEventId ??
      e.activityTaskFailedEventAttributes?.scheduledEventId ??
      e.activityTaskTimedOutEventAttributes?.scheduledEventId ??
      e.activityTaskCanceledEventAttributes?.scheduledEventId;
    if (scheduled != null) {
      const step = scheduledStep.get(String(scheduled));
      if (step && earlier.has(step)) lastEarlierEnd = eventId;
    }
  }
  // The workflow task that took in the last earlier step's end is where the step began.
  const target = events.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED && Number(e.eventId) > lastEarlierEnd);
  if (!target) throw new Problem('Refused', `no point before step "${from}" to continue from in the history of ${id}`);

  const response = await client.workflowService.resetWorkflowExecution({
    namespace: client.options.namespace,
    workflowExecution: { workflowId: id, runId: description.runId },
    reason: `tourniquet retry --from ${from} by ${by}`,
    workflowTaskFinishEventId: target.eventId!,
    requestId: randomUUID(),
    resetReapplyType: temporal.api.enums.v1.ResetReapplyType.RESET_REAPPLY_TYPE_NONE,
    resetReapplyExcludeTypes: [
      temporal.api.enums.v1.ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL,
      temporal.api.enums.v1.ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE,
    ],
    identity: by,
  });
  return { id, runId: response.runId ?? '', from, resetTo: Number(target.eventId), rerun: progress.steps.slice(index).map((s) => s.id) };
}
