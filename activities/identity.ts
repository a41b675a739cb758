/**
 * `verifyApprover`: the worker checks a decision's proof against the approver store, outside
 * the workflow's history. The workflow runs it as a local activity before a decision on a
 * `proven` step counts. It answers; it never throws for a bad proof (only for a fault worth
 * a retry), and it logs who and what kind, never the code or the signature.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SIGNATURE_MAX_AGE_MS, SSH_NAMESPACE, signedMessage, type ProofCheck, type ProofRequest } from '../contract';
import { readApprovers } from '../common/approvers';
import { sha256 } from '../common/hash';
import { base32Decode, matchTotp } from '../common/totp';
import type { ActivityDeps } from './deps';

export function identityActivities(deps: ActivityDeps) {
  const file = deps.approversFile ?? join(deps.home, 'approvers.json');
  const log = deps.logger.child({ component: 'identity' });

  async function verifyApprover(request: ProofRequest): Promise<ProofCheck> {
    const check = await verify(request);
    const about = { incident: request.incidentId, step: request.step, by: request.by, decision: request.decision };
    if (check.ok) log.info({ ...about, proof: check.kind, ...(check.fingerprint ? { fingerprint: check.fingerprint } : {}) }, 'approver identity proven');
    else log.warn({ ...about, reason: check.reason }, 'approver identity not proven');
    return check;
  }

  async function verify(r: ProofRequest): Promise<ProofCheck> {
    const entry = readApprovers(file).approvers[r.by];
    if (!entry) return no(`${r.by} is not an enrolled approver (on the worker: tourniquet approvers enroll ${r.by})`);
    if (r.code !== undefined) {
      const step = matchTotp(base32Decode(entry.totp), r.code, deps.now());
      if (step === undefined)
        return no(`the code is not ${r.by}'s current code (use the newest code of the "tourniquet:${r.by}" entry; check the phone's clock)`);
      return { ok: true, kind: 'totp', spent: `totp:${r.by}:${step}` };
    }
    if (r.signature !== undefined && r.signedAt !== undefined) {
      if (!entry.ssh) return no(`${r.by} has no SSH key enrolled (tourniquet approvers enroll ${r.by} --ssh-key <key.pub> --replace), send a code instead`);
      const age = Math.abs(deps.now().getTime() - Date.parse(r.signedAt));
      if (!(age <= SIGNATURE_MAX_AGE_MS))
        return no(`the signature was made at ${r.signedAt}, more than ${SIGNATURE_MAX_AGE_MS / 60_000} minutes from now: sign again`);
      const message = signedMessage({ incidentId: r.incidentId, step: r.step, decision: r.decision, by: r.by, signedAt: r.signedAt });
      const dir = mkdtempSync(join(tmpdir(), 'tourniquet-verify-'));
      try {
        const signers = join(dir, 'allowed_signers');
        const signature = join(dir, 'decision.sig');
        writeFileSync(signers, `${r.by} namespaces="${SSH_NAMESPACE}" ${entry.ssh.publicKey}\n`, { mode: 0o600 });
        writeFileSync(signature, r.signature.endsWith('\n') ? r.signature : `${r.signature}\n`, { mode: 0o600 });
        const result = await deps.run(['ssh-keygen', '-Y', 'verify', '-f', signers, '-I', r.by, '-n', SSH_NAMESPACE, '-s', signature], {
          input: message,
          timeoutMs: 10_000,
        });
        if (result.exitCode !== 0)
          return no(`the SSH signature does not verify against ${r.by}'s enrolled key ${entry.ssh.fingerprint} for this incident, step and decision`);
        return { ok: true, kind: 'ssh', fingerprint: entry.ssh.fingerprint, spent: `ssh:${sha256(r.signature).slice(0, 32)}` };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    return no('the decision carries no code and no signature');
  }

  return { verifyApprover };
}

export type IdentityActivities = ReturnType<typeof identityActivities>;

function no(reason: string): ProofCheck {
  return { ok: false, reason };
}
