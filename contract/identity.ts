/**
 * Approver identity: how strong the proof behind a decision must be, and the exact text an
 * SSH-signed decision covers. Shared by the compiler (defaults), the workflow (which steps
 * need a proof), the CLI (which signs) and the worker (which verifies). Pure and free of zod:
 * the workflow imports it.
 */
import type { Severity } from './grammar';

/**
 * `proven`: a decision counts only with a proof the worker checked (an authenticator code of
 * an enrolled approver, or a signature by their enrolled SSH key). `asserted`: the typed name
 * is believed (labs and drills).
 */
export const IDENTITY_LEVELS = ['proven', 'asserted'] as const;
export type IdentityLevel = (typeof IDENTITY_LEVELS)[number];

/** The `ssh-keygen -Y sign -n` namespace: a signature made for anything else does not verify here. */
export const SSH_NAMESPACE = 'tourniquet-approval';

/** How long a signed decision stays valid, either side of the worker's clock. */
export const SIGNATURE_MAX_AGE_MS = 5 * 60_000;

/** TOTP parameters (RFC 6238): 30 s steps, 6 digits, HMAC-SHA1 (what authenticator apps use). */
export const TOTP = { periodSeconds: 30, digits: 6, algorithm: 'SHA1', skewSteps: 1 } as const;

export function isDestructive(action: string, effects: { restores: unknown[]; changes: unknown[] } | undefined): boolean {
  return action === 'restoreBackup' || Boolean(effects?.restores.length || effects?.changes.length);
}

/**
 * A step's identity level: what the playbook says, else `proven` for every gate of an S1
 * incident and for destructive steps, else `asserted`.
 */
export function identityFor(
  severity: Severity,
  step: { action: string; effects?: { restores: unknown[]; changes: unknown[] } | undefined; approval?: { identity?: IdentityLevel | undefined } | undefined },
): IdentityLevel {
  return step.approval?.identity ?? (severity === 'S1' || isDestructive(step.action, step.effects) ? 'proven' : 'asserted');
}

/** The text an SSH-signed decision covers: every field that gives it meaning, one per line. */
export function signedMessage(d: { incidentId: string; step: string; decision: 'approve' | 'deny'; by: string; signedAt: string }): string {
  return [`tourniquet decision v1`, `incident: ${d.incidentId}`, `step: ${d.step}`, `decision: ${d.decision}`, `by: ${d.by}`, `at: ${d.signedAt}`, ''].join(
    '\n',
  );
}

/** What the worker found when it checked a proof (the `verifyApprover` local activity). */
export type ProofCheck =
  | {
      ok: true;
      kind: 'totp' | 'ssh';
      /** SHA256 fingerprint of the SSH key that signed. */
      fingerprint?: string;
      /** Names this one use of a credential (a TOTP time step, a signature digest): spent once per incident. */
      spent: string;
    }
  | { ok: false; reason: string };

/** What the workflow asks the worker to check. The code is in here and nowhere else after. */
export interface ProofRequest {
  incidentId: string;
  step: string;
  decision: 'approve' | 'deny';
  by: string;
  code?: string;
  signature?: string;
  signedAt?: string;
}
