/** A worker for the floor workflow on its own task queue, beside the engine's worker, taking workflow tasks as the engine's does. */
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker, type NativeConnection } from '@temporalio/worker';
import { WORKFLOW_TASK_TUNING } from '../../worker/create';
import { floorActivities } from './activities';

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

export async function createFloorWorker(connection: NativeConnection, taskQueue: string): Promise<Worker> {
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)), logger: silent });
  return Worker.create({ connection, namespace: 'default', taskQueue, workflowBundle, activities: floorActivities, ...WORKFLOW_TASK_TUNING });
}
