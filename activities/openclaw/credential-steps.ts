/** Credentials: rotate the gateway token, proven by the old one being refused. */
import { fingerprint } from '../../common/hash';
import type { ActivityDeps } from '../deps';
import { StepError } from '../errors';
import { defineStep } from '../step';
import { rotateGatewayToken } from './levers';
import { tokenAccepted, tokenRefused } from './oracles';
import { httpUrl, readToken, withConnection, plan, requireProof } from './shared';

export function credentialSteps(deps: ActivityDeps) {
  const openclawRotateToken = defineStep(deps, 'openclawRotateToken', {
    plan: plan(
      (g) => `write a new gateway.auth.token on ${g.gateway} (config.patch), then expect 401 for the old token and 200 for the new one on /tools/invoke`,
    ),
    run: async (io, args) => {
      if (args.tokenFrom.kind !== 'config')
        throw new StepError(
          'UnsafeActionRefused',
          `${args.gateway}: the token comes from ${args.tokenFrom.envFile}; rotate it there (rotateKey) and restart the gateway: this action rotates gateway.auth.token in the config`,
        );
      const current = readToken(args);
      // A retry after a worker died mid-step: when the config already holds the token this
      // step wrote (by its fingerprint, journalled before the write), the rotation happened:
      // rotating again would be a second effect. The old value is gone by then, so its
      // refusal cannot be re-tested; the proof is the new token's acceptance and the config.
      const earlier = io.pending?.record as { oldFingerprint: string; newFingerprint: string } | undefined;
      if (earlier && fingerprint(current) === earlier.newFingerprint) {
        const proofs = [
          await tokenAccepted(httpUrl(args), current),
          {
            holds: fingerprint(current) !== earlier.oldFingerprint,
            check: `gateway.auth.token in ${args.configPath} is no longer ${earlier.oldFingerprint}`,
            observed: `it is ${earlier.newFingerprint}, written by an earlier attempt of this step`,
          },
        ];
        requireProof(`the token rotation of ${args.gateway}`, proofs);
        return {
          summary: `gateway token of ${args.gateway} rotated (${earlier.oldFingerprint} → ${earlier.newFingerprint}) by an earlier attempt: new accepted`,
          data: { gateway: args.gateway, ...earlier, proof: proofs, undo: null },
        };
      }
      const old = current;
      const next = deps.randomBytes(24).toString('hex');
      io.markPending({ oldFingerprint: fingerprint(old), newFingerprint: fingerprint(next) });
      const rotated = await withConnection(args, (gw) => rotateGatewayToken(gw, next), old);
      const proofs = [await tokenRefused(httpUrl(args), old), await tokenAccepted(httpUrl(args), rotated.token)];
      requireProof(`the token rotation of ${args.gateway}`, proofs);
      return {
        summary: `gateway token of ${args.gateway} rotated (${fingerprint(old)} → ${rotated.fingerprint}): old refused, new accepted`,
        data: { gateway: args.gateway, oldFingerprint: fingerprint(old), newFingerprint: rotated.fingerprint, proof: proofs, undo: null },
      };
    },
  });

  return { openclawRotateToken };
}
