/**
 * The HTTP revoke hook: send a credential to its provider's revocation endpoint. The value is
 * read from its env file at the last moment and never logged; the result has its fingerprint.
 */
import type { ActionArgs, PlannedEffect, StepResult } from '../../contract';
import type { ActivityDeps } from '../deps';
import { StepError } from '../errors';
import { fingerprint } from '../../common/hash';
import type { StepIO } from '../step';
import { proofSentence, proveRotation } from './check';
import { readEnvFile } from './envfile';

type Revoke = Extract<ActionArgs<'rotateKey'>, { method: 'http-revoke' }>;

/** The request for one revocation (exported for unit tests of its shape). */
export function revokeRequest(args: Revoke, credential: string, auth: string | undefined): RequestInit {
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (args.send === 'bearer') headers.authorization = `Bearer ${credential}`;
  else if (args.send === 'form') {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams({ token: credential }).toString();
  } else {
    headers['content-type'] = 'application/json';
    body = JSON.stringify({ token: credential });
  }
  if (auth !== undefined) headers.authorization = `Bearer ${auth}`;
  return { method: 'POST', headers, redirect: 'manual', ...(body !== undefined ? { body } : {}) };
}

export function planRevoke(args: Revoke): PlannedEffect[] {
  const { value } = readEnvFile(args.credential.envFile, args.credential.key);
  return [
    { kind: 'http', detail: `POST ${args.url} with ${args.credential.key} (${fingerprint(value)}) as ${args.send}; expect ${args.expectStatus.join('/')}` },
  ];
}

export async function revoke(deps: ActivityDeps, io: StepIO, args: Revoke): Promise<StepResult> {
  const { value } = readEnvFile(args.credential.envFile, args.credential.key);
  const auth = args.auth ? readEnvFile(args.auth.envFile, args.auth.key).value : undefined;
  const credentialFingerprint = fingerprint(value);
  // A retry may follow a revocation the provider did but whose answer was lost: "already gone" then counts.
  const retried = io.pending !== undefined;
  io.markPending({ credentialFingerprint });
  let status: number;
  try {
    const response = await deps.fetch(args.url, {
      ...revokeRequest(args, value, auth),
      signal: AbortSignal.any([io.signal, AbortSignal.timeout(args.timeoutMs)]),
    });
    status = response.status;
    await response.body?.cancel();
  } catch (err) {
    throw new StepError('VerificationFailed', `POST ${args.url} failed: ${(err as Error).message}`);
  }
  const ok = args.expectStatus.includes(status) || (retried && (status === 404 || status === 410));
  if (!ok)
    throw new StepError(
      'VerificationFailed',
      `revoke of ${args.credential.key} (${credentialFingerprint}) at ${args.url} answered ${status}, expected ${args.expectStatus.join('/')}`,
    );
  // The revoke endpoint's answer is its own word; the credential's check URL is the world's.
  const proof = await proveRotation(deps, io, args, value, undefined, args.check?.waitMs ?? 0);
  return {
    summary: `revoked ${args.credential.key} (${credentialFingerprint}) at ${new URL(args.url).origin}: ${status}; ${proofSentence(proof)}`,
    data: { key: args.credential.key, credentialFingerprint, url: args.url, status, proof, undo: null },
  };
}
