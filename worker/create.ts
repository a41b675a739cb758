/** Wire the incident workflow and the activities to a Temporal connection. */
import { randomBytes } from 'node:crypto';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities, execaRunner, type ActivityDeps } from '../activities';
import { WORKFLOWS_PATH } from '../common/paths';

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  home: string;
  logger: Logger;
  /** A prebuilt workflow bundle (tests build one per file); otherwise bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Replace some real dependencies (tests). */
  deps?: Partial<ActivityDeps>;
}

export function realDeps(home: string, logger: Logger): ActivityDeps {
  return { run: execaRunner, logger: logger.child({ component: 'activity' }), home, fetch: globalThis.fetch, randomBytes, now: () => new Date() };
}

export function createWorker(o: CreateWorkerOptions): Promise<Worker> {
  const deps: ActivityDeps = { ...realDeps(o.home, o.logger), ...o.deps };
  return Worker.create({
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: o.taskQueue,
    ...(o.workflowBundle ? { workflowBundle: o.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities(deps),
    // A SIGTERM from a process manager should finish in-flight activities, not drop them.
    shutdownGraceTime: '10s',
  });
}
