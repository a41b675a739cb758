/**
 * The worker's check of a decision's proof, run as a local activity: the approver store stays
 * on the worker, and only the answer (ok, the proof's kind, an SSH key fingerprint, or the
 * reason) enters the history. The code or signature travels in the activity's input, which a
 * local activity's marker does not record.
 */
import { proxyLocalActivities } from '@temporalio/workflow';
import type { IdentityActivities } from '../activities/identity';
import type { ProofCheck } from '../contract';
import type { Checked } from './approvals';

const { verifyApprover } = proxyLocalActivities<IdentityActivities>({
  startToCloseTimeout: '30s',
  // A store that cannot be read now may be readable in a second; a wrong code stays wrong (it is an answer, not an error).
  retry: { maximumAttempts: 3, initialInterval: '1s' },
});

export async function proveIdentity(incidentId: string, checked: Extract<Checked, { ok: true }>): Promise<ProofCheck> {
  const { step, by, code, signature, signedAt } = checked.payload;
  try {
    return await verifyApprover({
      incidentId,
      step,
      by,
      decision: checked.kind,
      ...(code !== undefined ? { code } : {}),
      ...(signature !== undefined ? { signature } : {}),
      ...(signedAt !== undefined ? { signedAt } : {}),
    });
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
    return { ok: false, reason: `the worker could not check the proof (${cause instanceof Error ? cause.message : String(cause)})` };
  }
}
