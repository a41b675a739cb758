/**
 * The one thing the intake needs from the playbook side: turn a routed alert into the
 * incident workflow's input. The default (`templates.ts`) fills incident template files; the
 * playbook compiler can take its place without the intake changing.
 */
import type { IncidentInput } from '../contract';

/** What a route asks for, with every value from the alert already checked against its declared type. */
export interface IncidentRequest {
  /** The playbook (or template) to run, by name. */
  playbook: string;
  severity: 'S1' | 'S2' | 'S3';
  /** Inventory / target names: literals from the routes file, or alert values from an allowlist. */
  targets: string[];
  /**
   * Typed parameters: literals from the routes file, or alert values that passed their type and
   * pattern. A list parameter takes a list, or one value with items separated by commas.
   */
  params: Record<string, string | number | boolean | string[]>;
  /** One line for the incident's title, from the alert. */
  title: string;
}

/**
 * Build the workflow input for a request, parsed (the one parse on the intake path). Throw a `Problem` of kind `InvalidInput` when the
 * request cannot make a valid incident (answered 422), anything else when the playbook cannot
 * be read (answered 500, so the sender retries once the operator has fixed it).
 */
export type ResolveIncident = (request: IncidentRequest) => Promise<IncidentInput>;
