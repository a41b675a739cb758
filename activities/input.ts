/**
 * `validateIncident`: an incident's input checked against its schema, for starts that bypass
 * the client's check (the Temporal UI, another SDK, a script). The workflow runs it as its
 * first, local, activity, so the schema library stays out of the workflow sandbox (where every
 * new incident would evaluate it again and every cached one would keep a copy). The answer is
 * the input with its defaults applied, recorded once in the history.
 */
import { ApplicationFailure } from '@temporalio/common';
import { formatIssues, incidentInputSchema, type IncidentInput } from '../contract';

/** The failure type of an input the schema refuses; the workflow ends with it. */
export const INVALID_INCIDENT_INPUT = 'InvalidIncidentInput';

export function inputActivities() {
  async function validateIncident(draft: unknown): Promise<IncidentInput> {
    const parsed = incidentInputSchema.safeParse(draft);
    if (!parsed.success) throw ApplicationFailure.nonRetryable(`invalid incident input: ${formatIssues(parsed.error).join('; ')}`, INVALID_INCIDENT_INPUT);
    return parsed.data;
  }
  return { validateIncident };
}

export type InputActivities = ReturnType<typeof inputActivities>;
