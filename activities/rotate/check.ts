/**
 * The independent check of a rotation: the credential's own check URL must refuse the old
 * value and accept the new one. Values are sent only to that URL and never kept.
 */
import type { ActionArgs, CredentialCheck } from '../../contract';
import type { ActivityDeps } from '../deps';
import { StepError } from '../errors';
import type { Proof } from '../service/liveness';
import type { StepIO } from '../step';

type Answer = { status: number } | { error: string };

async function ask(deps: ActivityDeps, check: CredentialCheck, value: string, signal: AbortSignal): Promise<Answer> {
  const headers: Record<string, string> = check.header ? { [check.header]: value } : { authorization: `Bearer ${value}` };
  try {
    const res = await deps.fetch(check.url, { headers, redirect: 'manual', signal: AbortSignal.any([signal, AbortSignal.timeout(5_000)]) });
    await res.body?.cancel();
    return { status: res.status };
  } catch (err) {
    return { error: (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name };
  }
}

interface Checked extends Proof {
  /** The URL gave an HTTP answer, so `ok: false` is a contradiction, not a silence. */
  answered: boolean;
}

function entry(check: string, url: string, answer: Answer, wanted: number[]): Checked {
  if ('error' in answer)
    return { check, target: url, ok: false, answered: false, detail: `no answer (${answer.error}): not confirmed, e.g. the service is stopped` };
  return { check, target: url, ok: wanted.includes(answer.status), answered: true, detail: `answered ${answer.status}` };
}

/**
 * Ask until the old value is refused (and the new one, when given, accepted) or `waitMs`
 * passes: a restarted service takes a moment to answer.
 */
async function checkRotation(
  deps: ActivityDeps,
  io: StepIO,
  check: CredentialCheck,
  old: string | undefined,
  next: string | undefined,
  waitMs: number,
): Promise<Checked[]> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const proof: Checked[] = [];
    if (old === undefined) {
      proof.push({
        check: 'old-credential-refused',
        target: check.url,
        ok: false,
        answered: false,
        detail: 'the old value is no longer known (an earlier attempt replaced it); check it by hand',
      });
    } else proof.push(entry('old-credential-refused', check.url, await ask(deps, check, old, io.signal), check.refusedStatus));
    if (next !== undefined && check.acceptedStatus.length) {
      proof.push(entry('new-credential-accepted', check.url, await ask(deps, check, next, io.signal), check.acceptedStatus));
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
 * The rotation's independent check, or a plain statement that there is none. An answer that
 * contradicts the rotation (the old value still accepted, the new one refused) fails the step;
 * no answer at all (the service is stopped for the incident) is reported as unconfirmed.
 * `waitMs`: how long the URL may take to agree (a service restarting, a revocation spreading).
 */
export async function proveRotation(
  deps: ActivityDeps,
  io: StepIO,
  args: ActionArgs<'rotateKey'>,
  old: string | undefined,
  next: string | undefined,
  waitMs: number,
): Promise<Proof[]> {
  if (!args.check) return [UNCHECKED];
  const checked = await checkRotation(deps, io, args.check, old, next, waitMs);
  const failed = checked.filter((p) => p.answered && !p.ok);
  if (failed.length)
    throw new StepError(
      'VerificationFailed',
      `the rotation is contradicted by ${args.check.url}: ${failed.map((p) => `${p.check} ${p.detail}`).join('; ')} (expected the old value refused with ${args.check.refusedStatus.join('/')}${args.check.acceptedStatus.length ? `, the new one accepted with ${args.check.acceptedStatus.join('/')}` : ''})`,
    );
  return checked.map(({ answered: _answered, ...p }) => p);
}

export function proofSentence(proof: Proof[]): string {
  if (proof.length === 1 && proof[0]!.check === UNCHECKED.check) return 'not independently confirmed: no check is configured for this credential';
  return proof.map((p) => `${p.check} at ${p.target}: ${p.ok ? 'yes' : 'NOT CONFIRMED'} (${p.detail})`).join(', ');
}
