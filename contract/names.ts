/**
 * The names the incident is known by on the server: its workflow type, query, memo fields and
 * search attributes. Free of any library, so the CLI's lean client (client/lean/) reads
 * incidents without loading the Temporal SDK; definitions.ts re-exports them.
 */

export const WORKFLOW_TYPE = 'incident';

/** The query that answers the incident's full progress (`progressQuery` in definitions.ts). */
export const PROGRESS_QUERY = 'progress';

/** Search attributes the incident sets, registered on the embedded server at start. */
export const SEARCH_ATTRIBUTES = {
  IncidentClass: 'Keyword',
  IncidentSeverity: 'Keyword',
  IncidentPhase: 'Keyword',
  /** `drill` or `live`: drills are findable (and filterable) as drills in the Web UI. */
  IncidentMode: 'Keyword',
} as const;

/**
 * Memo fields an incident carries, read by `tourniquet list` without asking a worker: the
 * client sets the title and mode at start, the workflow keeps the state current.
 */
export const TITLE_MEMO = 'title';
export const MODE_MEMO = 'mode';
export const STATE_MEMO = 'state';
