/**
 * The independent check of a rotation: the credential's own check URL must refuse the old
 * value and accept the new one. Values are sent only to that URL and never kept.
 */
import type { ActionArgs, CredentialCheck } from '../../contract';
import type { ActivityDeps } from '../deps';
import { StepError } from '../errors';
import type { Proof } from '../service/liveness';
import type { StepIO } from '../step';

async function statusWith(deps: ActivityDeps, check: CredentialCheck, value: string, signal: AbortSignal): Promise<number | string> {
  const headers: Record<string, string> = check.header ? { [check.header]: value } : { authorization: `Bearer ${value}` };
  try {
    const res = await deps.fetch(check.url, { headers, redirect: 'manual', signal: AbortSignal.any([signal, AbortSignal.timeout(5_000)]) });
    await res.body?.cancel();
    return res.status;
  } catch (err) {
    return (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
  }
}

/**
 * Ask until the old value is refused (and the new one, when given, accepted) or `waitMs`
 * passes: a restarted service takes a moment to answer. Returns the proof either way; the
 * caller fails the step when a check did not pass.
 */
export async function checkRotation(deps: ActivityDeps, io: StepIO, check: CredentialCheck, old: string | undefined, next: string | undefined): Promise<Proof[]> {
  const deadline = Date.now() + check.waitMs;
  for (;;) {
    const proof: Proof[] = [];
    if (old === undefined) {
      proof.push({ check: 'old-credential-refused', target: check.url, ok: false, detail: 'the old value is no longer known (an earlier attempt replaced it); check it by hand' });
    } else {
      const status = await statusWith(deps, check, old, io.signal);
      proof.push({ check: 'old-credential-refused', target: check.url, ok: typeof status === 'number' && check.refusedStatus.includes(status), detail: `answered ${status}` });
    }
    if (next !== undefined && check.acceptedStatus.length) {
      const status = await statusWith(deps, check, next, io.signal);
      proof.push({ check: 'new-credential-accepted', target: check.url, ok: typeof status === 'number' && check.acceptedStatus.includes(status), detail: `answered ${status}` });
    }
    if (proof.every((p) => p.ok) || Date.now() >= deadline || io.signal.aborted || old === undefined) return proof;
    io.heartbeat();
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** What a rotation says when the inventory names no check for its credential. */
export const UNCHECKED: Proof = {
  check: 'none-configured',
  target: '-',
  ok: false,
  detail: 'no independent check is configured for this credential (add check: {url} to it in the inventory); the old value was replaced, not proven refused',
};

/**
 * The rotation's independent check, or a plain statement that there is none. A check that
 * does not pass fails the step: the old value may still work.
 */
export async function proveRotation(deps: ActivityDeps, io: StepIO, args: ActionArgs<'rotateKey'>, old: string | undefined, next: string | undefined): Promise<Proof[]> {
  if (!args.check) return [UNCHECKED];
  const proof = await checkRotation(deps, io, args.check, old, next);
  // On a retry the old value is gone from the files: that check is reported, not failed.
  const failed = proof.filter((p) => !p.ok && !(p.check === 'old-credential-refused' && old === undefined));
  if (failed.length)
    throw new StepError(
      'VerificationFailed',
      `the rotation is not confirmed by ${args.check.url}: ${failed.map((p) => `${p.check} ${p.detail}`).join('; ')} (expected the old value refused with ${args.check.refusedStatus.join('/')}${args.check.acceptedStatus.length ? `, the new one accepted with ${args.check.acceptedStatus.join('/')}` : ''})`,
    );
  return proof;
}

export function proofSentence(proof: Proof[]): string {
  if (proof.length === 1 && proof[0]!.check === UNCHECKED.check) return 'not independently confirmed: no check is configured for this credential';
  return proof.map((p) => `${p.check} at ${p.target}: ${p.ok ? 'yes' : 'not checked'} (${p.detail})`).join(', ');
}

