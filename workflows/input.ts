/**
 * The incident's input, checked before anything acts on it. The client, the intake and the
 * compiler check it at the edge; starts that bypass them are caught by `validateIncident`, a
 * local activity, so the schema library never enters the sandbox.
 */
import { ActivityFailure, ApplicationFailure, patched, proxyLocalActivities } from '@temporalio/workflow';
import type { InputActivities } from '../activities/input';
import type { IncidentInput, IncidentInputDraft } from '../contract';

const { validateIncident } = proxyLocalActivities<InputActivities>({
  startToCloseTimeout: '10s',
  // A refused input stays refused (non-retryable); anything else is a worker fault worth a retry.
  retry: { maximumAttempts: 3, initialInterval: '100ms' },
});

/**
 * The `patched` id under which the input is checked by the activity. Incidents started before
 * it checked their input inside the workflow; on replay they take their recorded input as it
 * is, with the defaults the workflow reads filled in as the schema filled them.
 */
export const INPUT_CHECK_PATCH = 'input-checked-by-activity';

export async function checkedInput(draft: IncidentInputDraft): Promise<IncidentInput> {
  if (!patched(INPUT_CHECK_PATCH)) return withDefaults(draft);
  try {
    return await validateIncident(draft);
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : undefined;
    if (cause instanceof ApplicationFailure && cause.nonRetryable && cause.type) throw ApplicationFailure.nonRetryable(cause.message, cause.type);
    throw err;
  }
}

/**
 * The schema's defaults on the fields the workflow reads. Only for incidents that started
 * before the activity checked their input: that input passed the schema when it started.
 */
function withDefaults(draft: IncidentInputDraft): IncidentInput {
  const steps = draft.steps.map((step) => ({
    ...step,
    onFailure: step.onFailure ?? 'abort',
    ...(step.approval
      ? {
          approval: {
            ...step.approval,
            required: step.approval.required ?? true,
            onDeny: step.approval.onDeny ?? 'abort',
            quorum: step.approval.quorum ?? 1,
            onTimeout: step.approval.onTimeout ?? 'abort',
          },
        }
      : {}),
    ...(step.effects
      ? {
          effects: {
            freezes: [],
            captures: [],
            snapshots: [],
            rotates: [],
            restarts: [],
            restores: [],
            changes: [],
            reads: [],
            ...step.effects,
          },
        }
      : {}),
  }));
  return { ...draft, targets: draft.targets ?? [], mode: draft.mode ?? 'live', steps } as IncidentInput;
}
