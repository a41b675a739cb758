/**
 * The incident's timeline as the Temporal history records it: what ran, who signalled or
 * decided what, timers, cancellation, the end. Read by `tourniquet report` for the note.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { HistoryLine } from '../common/note';

const { temporal } = proto;

type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;
type Payload = proto.temporal.api.common.v1.IPayload;

const EventType = temporal.api.enums.v1.EventType;

function decode(payload: Payload | null | undefined): unknown {
  if (!payload) return undefined;
  try {
    return defaultPayloadConverter.fromPayload(payload);
  } catch {
    return undefined;
  }
}

/** "by alice: step restore" from a signal or update argument, without anything else in it. */
function who(arg: unknown): string {
  if (!arg || typeof arg !== 'object') return '';
  const a = arg as { by?: unknown; step?: unknown; decision?: unknown; kind?: unknown };
  const parts = [a.decision, a.kind, a.step ? `step ${String(a.step)}` : undefined].filter((x) => typeof x === 'string' && x);
  return `${parts.length ? ` (${parts.join(', ')})` : ''}${typeof a.by === 'string' ? ` by ${a.by}` : ''}`;
}

function time(event: HistoryEvent): string {
  const t = event.eventTime;
  if (!t) return '';
  const ms = Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
  return new Date(ms).toISOString();
}

export function historyLines(events: HistoryEvent[]): HistoryLine[] {
  const activities = new Map<string, string>();
  const out: HistoryLine[] = [];
  const add = (event: HistoryEvent, what: string) => out.push({ at: time(event), what });
  for (const e of events) {
    switch (e.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        add(e, `workflow ${e.workflowExecutionStartedEventAttributes?.workflowType?.name ?? ''} started`);
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
        const a = e.activityTaskScheduledEventAttributes;
        const summary = decode(e.userMetadata?.summary);
        const name = `${a?.activityType?.name ?? 'activity'}${typeof summary === 'string' ? ` "${summary}"` : ''}`;
        activities.set(String(e.eventId), name);
        add(e, `scheduled ${name}`);
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
        add(e, `completed ${activities.get(String(e.activityTaskCompletedEventAttributes?.scheduledEventId)) ?? 'activity'}`);
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
        add(
          e,
          `failed ${activities.get(String(e.activityTaskFailedEventAttributes?.scheduledEventId)) ?? 'activity'}: ${e.activityTaskFailedEventAttributes?.failure?.message ?? ''}`,
        );
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
        add(e, `timed out ${activities.get(String(e.activityTaskTimedOutEventAttributes?.scheduledEventId)) ?? 'activity'}`);
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
        add(e, `cancelled ${activities.get(String(e.activityTaskCanceledEventAttributes?.scheduledEventId)) ?? 'activity'}`);
        break;
      case EventType.EVENT_TYPE_TIMER_FIRED:
        add(e, 'timer fired (an approval timeout or a status update)');
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: {
        const a = e.workflowExecutionSignaledEventAttributes;
        add(e, `signal ${a?.signalName ?? ''}${who(decode(a?.input?.payloads?.[0]))}`);
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: {
        const input = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
        add(e, `update ${input?.name ?? ''}${who(decode(input?.args?.payloads?.[0]))} accepted`);
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
        add(e, 'cancellation requested');
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
        add(e, 'workflow completed');
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
        add(e, `workflow failed: ${e.workflowExecutionFailedEventAttributes?.failure?.message ?? ''}`);
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
        add(e, 'workflow cancelled');
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
        add(e, `workflow terminated: ${e.workflowExecutionTerminatedEventAttributes?.reason ?? ''}`);
        break;
      default:
        break;
    }
  }
  return out;
}
