/**
 * `createActivities(deps)`: every action a step can name, bound to its dependencies.
 * The keys are the action names of `contract/catalogue.ts`.
 */
import type { ActivityActionName, StepContext, StepResult } from '../contract';
import { commandActivities } from './command';
import type { ActivityDeps } from './deps';
import { evidenceActivities } from './evidence';
import { noteActivities } from './note';
import { restoreActivities } from './restore';
import { rotateActivities } from './rotate';
import { serviceActivities } from './service';
import { leakActivities } from './leaks';
import { networkActivities } from './network';
import { notifyActivities } from './notify';
import { openclawActivities } from './openclaw/steps';
import { quarantineActivities } from './quarantine';
import { smokeActivities } from './smoke';
import { snapshotActivities } from './snapshot';
import { sweepActivities } from './sweep';

export function createActivities(deps: ActivityDeps) {
  const activities = {
    ...serviceActivities(deps),
    ...evidenceActivities(deps),
    ...snapshotActivities(deps),
    ...rotateActivities(deps),
    ...restoreActivities(deps),
    ...smokeActivities(deps),
    ...commandActivities(deps),
    ...noteActivities(deps),
    ...leakActivities(deps),
    ...quarantineActivities(deps),
    ...networkActivities(deps),
    ...sweepActivities(deps),
    ...notifyActivities(deps),
    ...openclawActivities(deps),
  };
  // Every action the workflow does not carry out itself has an activity, and nothing else is registered.
  return activities satisfies Record<ActivityActionName, (ctx: StepContext, args: unknown) => Promise<StepResult>>;
}

export type { ActivityDeps, CommandRunner, CommandResult } from './deps';
export { execaRunner, helperRunner } from './runner';
export { FAILURE_TYPES, StepError } from './errors';
export { evidenceRoot, verifyEvidence } from './evidence';
