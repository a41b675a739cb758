/**
 * `validateIncident`: an incident's input checked against its schema, for starts that bypass
 * the client's check (the Temporal UI, another SDK, a script). The workflow runs it as a local
 * activity, so the schema library stays out of the workflow sandbox (where every new incident
 * would evaluate it again and every cached one would keep a copy). It answers with the
 * `path: message` lines of what is wrong, none when the input is valid: a short answer for
 * the history, which already holds the input.
 */
import { formatIssues, incidentInputSchema } from '../contract';

export function inputActivities() {
  async function validateIncident(draft: unknown): Promise<string[]> {
    const parsed = incidentInputSchema.safeParse(draft);
    return parsed.success ? [] : formatIssues(parsed.error);
  }
  return { validateIncident };
}

export type InputActivities = ReturnType<typeof inputActivities>;
