/** Run an activity outside a worker, with the info a real incident run would give it. */
import { accessSync, constants, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';

const silentSdkLogger = new DefaultLogger('ERROR', () => {});
import { createActivities, helperRunner, type ActivityDeps } from '../../activities';
import type { ActivityActionName, StepContext, StepResult } from '../../contract';
import { quietLogger } from './temporal';

export function tempDir(prefix = 'tourniquet-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function testDeps(overrides: Partial<ActivityDeps> = {}): ActivityDeps {
  return {
    run: helperRunner,
    logger: quietLogger,
    home: tempDir('tourniquet-home-'),
    fetch: globalThis.fetch,
    randomBytes,
    now: () => new Date(),
    ...overrides,
  };
}

export interface Harness {
  deps: ActivityDeps;
  activities: ReturnType<typeof createActivities>;
  /** Call an action as step `stepId` of incident `workflowId`, attempt `attempt`. */
  call(
    action: ActivityActionName,
    stepId: string,
    args: unknown,
    opts?: { workflowId?: string; runId?: string; attempt?: number; plan?: boolean; cancelAfterMs?: number },
  ): Promise<StepResult>;
}

export function harness(overrides: Partial<ActivityDeps> = {}): Harness {
  const deps = testDeps(overrides);
  const activities = createActivities(deps);
  return {
    deps,
    activities,
    call(action, stepId, args, opts = {}) {
      const env = new MockActivityEnvironment(
        {
          workflowExecution: { workflowId: opts.workflowId ?? 'inc-test', runId: opts.runId ?? 'run-1' },
          attempt: opts.attempt ?? 1,
        },
        { logger: silentSdkLogger },
      );
      const fn = activities[action] as (ctx: StepContext, args: unknown) => Promise<StepResult>;
      if (opts.cancelAfterMs !== undefined) setTimeout(() => env.cancel(), opts.cancelAfterMs);
      return env.run(fn, { stepId, ...(opts.plan ? { plan: true } : {}) }, args);
    },
  };
}

/** Skip a test with the reason printed, when this machine lacks what it needs. */
export function need(t: { skip(message?: string): void }, conditions: Record<string, boolean>): boolean {
  const missing = Object.entries(conditions)
    .filter(([, ok]) => !ok)
    .map(([what]) => what);
  if (!missing.length) return true;
  t.skip(`needs ${missing.join(', ')}`);
  return false;
}

/** True when `program` is on PATH. */
export function have(program: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => {
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export const isRoot = process.getuid?.() === 0;
