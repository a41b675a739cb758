/** Wire the incident workflow and the activities to a Temporal connection. */
import { randomBytes } from 'node:crypto';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities, execaRunner, type ActivityDeps } from '../activities';
import { identityActivities } from '../activities/identity';
import { WORKFLOWS_PATH } from '../common/paths';
import { freshBundle } from './bundle';

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  home: string;
  logger: Logger;
  /** A workflow bundle built in memory (tests build one per file); otherwise the prebuilt one, or bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** The approver store proofs are checked against; default `approvers.json` in `home`. */
  approversFile?: string;
  /** Replace some real dependencies (tests). */
  deps?: Partial<ActivityDeps>;
}

export function realDeps(home: string, logger: Logger): ActivityDeps {
  return { run: execaRunner, logger: logger.child({ component: 'activity' }), home, fetch: globalThis.fetch, randomBytes, now: () => new Date() };
}

export function createWorker(o: CreateWorkerOptions): Promise<Worker> {
  const deps: ActivityDeps = { ...realDeps(o.home, o.logger), ...(o.approversFile ? { approversFile: o.approversFile } : {}), ...o.deps };
  return Worker.create({
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: o.taskQueue,
    ...workflowSource(o),
    // The steps' actions, and the proof check the workflow runs as a local activity.
    activities: { ...createActivities(deps), ...identityActivities(deps) },
    // A SIGTERM from a process manager should finish in-flight activities, not drop them.
    shutdownGraceTime: '10s',
  });
}

function workflowSource(o: CreateWorkerOptions): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  if (o.workflowBundle) return { workflowBundle: o.workflowBundle };
  const codePath = freshBundle();
  if (codePath) return { workflowBundle: { codePath } };
  o.logger.warn({ rebuild: 'npm run build' }, 'no prebuilt workflow bundle matches the sources: bundling at start (a few seconds)');
  return { workflowsPath: WORKFLOWS_PATH };
}
