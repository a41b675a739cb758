/**
 * The OpenClaw actions as incident steps: each a lever of ./levers applied over the gateway's
 * RPC, then confirmed by an oracle of ./oracles that looks at the world. A result says which
 * check proved it (`data.proof`) and how to undo it (`data.undo`: an `openclawUndo` step, or
 * null). A drill connects and identifies the gateway (ready, lock file, token accepted) and
 * changes nothing; a gateway that cannot be found fails the drill as it would fail the run.
 */
import type { ActivityDeps } from '../deps';
import { containmentSteps } from './containment-steps';
import { credentialSteps } from './credential-steps';
import { evidenceSteps } from './evidence-steps';
import { recoverySteps } from './recovery-steps';
import { restoreSteps } from './restore-steps';
import { sessionSteps } from './session-steps';

export function openclawActivities(deps: ActivityDeps) {
  return { ...containmentSteps(deps), ...credentialSteps(deps), ...evidenceSteps(deps), ...recoverySteps(deps), ...sessionSteps(deps), ...restoreSteps(deps) };
}
