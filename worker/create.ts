/** Wire the incident workflow and the activities to a Temporal connection. */
import { randomBytes } from 'node:crypto';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { Config } from '../common/config';
import { createActivities, helperRunner, type ActivityDeps } from '../activities';
import { identityActivities } from '../activities/identity';
import { inputActivities } from '../activities/input';
import { leaseActivities } from '../activities/openclaw/lease';
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

/** Incidents kept in the worker's sticky cache (bench:park: 5,000 parked, 600 cached, worker RSS 737-835 MiB). */
export const MAX_CACHED_INCIDENTS = 600;

export function realDeps(home: string, logger: Logger): ActivityDeps {
  return { run: helperRunner, logger: logger.child({ component: 'activity' }), home, fetch: globalThis.fetch, randomBytes, now: () => new Date() };
}

export function createWorker(o: CreateWorkerOptions): Promise<Worker> {
  const deps: ActivityDeps = { ...realDeps(o.home, o.logger), ...(o.approversFile ? { approversFile: o.approversFile } : {}), ...o.deps };
  return Worker.create({
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: o.taskQueue,
    ...workflowSource(o),
    // The steps' actions, the input and proof checks the workflow runs as local activities, and the renewal of a pause's lease.
    activities: { ...createActivities(deps), ...identityActivities(deps), ...inputActivities(), ...leaseActivities(deps) },
    ...WORKFLOW_TASK_TUNING,
    // Without a bound the SDK sizes the cache from the heap (~2,300 incidents here), and memory
    // grows with it. Evicted incidents replay on their next signal or approval (bench:park: a
    // decision among 5,000 parked p50 95-116 ms), so the bound costs latency, never correctness.
    maxCachedWorkflows: MAX_CACHED_INCIDENTS,
    // A SIGTERM from a process manager should finish in-flight activities, not drop them.
    shutdownGraceTime: '10s',
  });
}

/** How the worker takes workflow tasks; the benchmarks' floor workers take them the same way. */
export const WORKFLOW_TASK_TUNING = {
  // Two workflow threads: a new incident's first workflow task no longer queues behind
  // another's (measured: first task of a 200-incident burst p50 -25 to -45%).
  workflowThreadPoolSize: 2,
  // A new incident's first workflow task comes from the shared queue, the repeats of open ones
  // from this worker's sticky queue. With the default 2 of 10 pollers on the shared queue, an
  // alert flood starved new incidents (bench:intake 2000/100: new alerts' containment p50
  // 7.6-10 s; half the pollers on each and 20 in all: p50 1.0 s, p99 2.7 s).
  nonStickyToStickyPollRatio: 1,
  maxConcurrentWorkflowTaskPolls: 20,
  // Left at the SDK's default on purpose: isolateExecutionTimeout (5 s) is the deadlock detector,
  // passed as a vm timeout to every call into the sandbox, and Node starts a watchdog thread per
  // such call. Measured by removing it in the SDK: 500 new incidents cost the workflow threads
  // 16.9 s of CPU with it, 11.6 s without (about 10 ms per incident); no option turns it off,
  // and without it a workflow bug that never yields would hang its thread for good.
} satisfies Partial<WorkerOptions>;

/** The worker the config describes, on an open connection: what `tourniquet worker` and `tourniquet dev` run. */
export function createConfiguredWorker(config: Config, connection: NativeConnection, logger: Logger): Promise<Worker> {
  return createWorker({
    connection,
    namespace: config.server.namespace,
    taskQueue: config.taskQueue,
    home: config.home,
    approversFile: config.approversFile,
    logger,
  });
}

function workflowSource(o: CreateWorkerOptions): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  if (o.workflowBundle) return { workflowBundle: o.workflowBundle };
  const codePath = freshBundle();
  if (codePath) return { workflowBundle: { codePath } };
  o.logger.warn({ rebuild: 'npm run build' }, 'no prebuilt workflow bundle matches the sources: bundling at start (a few seconds)');
  return { workflowsPath: WORKFLOWS_PATH };
}
