/**
 * What an incident's severity decides on its own: how often the open incident posts a status
 * update, and whether the person who started it may approve its steps. Free of zod: the
 * workflow imports it.
 */
import type { Severity } from './grammar';
import type { ApprovalSpec } from './input';

/** Default cadence of status updates per severity (the runbook's "communicate early and often"). */
export const STATUS_EVERY: Record<Severity, string> = { S1: '15m', S2: '1h', S3: '4h' };

/**
 * Whether the incident's requester may approve a step: the step's `allowRequester`, else not
 * for S1 (someone else must look at a destructive S1 step), else yes.
 */
export function requesterMayApprove(severity: Severity, approval: Pick<ApprovalSpec, 'allowRequester'> | undefined): boolean {
  return approval?.allowRequester ?? severity !== 'S1';
}
