/**
 * The incident's input, checked before anything acts on it, without the schema library in the
 * sandbox. The client, the intake and the compiler check it at the edge; starts that bypass
 * them are caught by `validateIncident`, a local activity the workflow runs before its first
 * step. Until that answers, the workflow reads the input as the schema would have filled it
 * (`presumedInput`), so its handlers and queries work from the first moment.
 */
import { ApplicationFailure, patched, proxyLocalActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { InputActivities } from '../activities/input';
import type { IncidentInput, IncidentInputDraft } from '../contract';
import { ACTIONS } from '../contract/catalogue';
import { INPUT_CHECKED_MEMO } from '../contract/definitions';

const { validateIncident } = proxyLocalActivities<InputActivities>({
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 3, initialInterval: '100ms' },
});

/** The failure type of an incident whose input the schema refuses. */
export const INVALID_INPUT = 'InvalidIncidentInput';

/**
 * The `patched` id under which the input is checked by the activity. Incidents started before
 * it checked their input inside the workflow, so their recorded input passed the schema.
 */
export const INPUT_CHECK_PATCH = 'input-checked-by-activity';

/**
 * What is wrong with the input (`path: message; ...`), or undefined when it is valid.
 * `baseline`: the incident started under the baseline patch, which implies this one.
 */
export async function inputProblems(draft: unknown, baseline = false): Promise<string | undefined> {
  // Started by the client library, which parsed the input: nothing left to check, no activity.
  if (workflowInfo().memo?.[INPUT_CHECKED_MEMO] === true) return undefined;
  if (!baseline && !patched(INPUT_CHECK_PATCH)) return undefined;
  const issues = await validateIncident(draft);
  // On replay a local activity resolves from its marker at once, but its first run may have
  // resolved in a later workflow task (a slow task is split): a `patched()` asked after it
  // would then look for its marker in the wrong task and fail the replay. A 1 ms timer puts
  // the task boundary in the same place on both. Only starts that bypass the client pay it.
  await sleep(1);
  return issues.length ? `invalid incident input: ${issues.join('; ')}` : undefined;
}

/**
 * The input with the schema's defaults on the fields the workflow reads (each activity applies
 * its own arguments' defaults). An input not even shaped like one ends the incident at once,
 * with the activity's account of what is wrong.
 */
export async function presumedInput(draft: IncidentInputDraft): Promise<IncidentInput> {
  if (shaped(draft)) return withDefaults(draft);
  throw ApplicationFailure.nonRetryable((await inputProblems(draft)) ?? 'invalid incident input: steps: expected a list of steps', INVALID_INPUT);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const optionalObject = (v: unknown) => v === undefined || isObject(v);

/** Enough of the shape that reading it cannot throw; the activity checks the rest. */
function shaped(draft: unknown): draft is IncidentInputDraft {
  if (!isObject(draft) || !Array.isArray(draft.steps) || !draft.steps.length) return false;
  if (draft.targets !== undefined && !Array.isArray(draft.targets)) return false;
  if (!optionalObject(draft.playbook)) return false;
  return draft.steps.every(
    (s: unknown) =>
      isObject(s) &&
      typeof s.id === 'string' &&
      typeof s.action === 'string' &&
      Object.hasOwn(ACTIONS, s.action) &&
      optionalObject(s.args) &&
      optionalObject(s.approval) &&
      optionalObject(s.effects) &&
      optionalObject(s.retry) &&
      optionalObject(s.timeouts) &&
      optionalObject(s.group) &&
      optionalObject(s.fanOut),
  );
}

function withDefaults(draft: IncidentInputDraft): IncidentInput {
  const steps = draft.steps.map((step) => ({
    ...step,
    args: step.args ?? {},
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
    ...(step.group ? { group: { join: 'all', gate: 'once', ...step.group } } : {}),
    ...(step.fanOut ? { fanOut: { maxConcurrency: 4, gate: 'once', ...step.fanOut } } : {}),
    ...(step.effects
      ? { effects: { freezes: [], captures: [], snapshots: [], rotates: [], restarts: [], restores: [], changes: [], reads: [], ...step.effects } }
      : {}),
  }));
  return { ...draft, targets: draft.targets ?? [], mode: draft.mode ?? 'live', steps } as IncidentInput;
}
