/**
 * What a benchmark that drives the engine itself needs beside its server: the workflow bundle
 * (built once, quietly), a worker's and a client's connection, and a task queue of its own.
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../common/paths';
import type { DevServer } from '../server/dev-server';

export interface BenchEngine {
  workflowBundle: WorkflowBundleWithSourceMap;
  nativeConnection: NativeConnection;
  client: Client;
  taskQueue: string;
  /** Close both connections (after the workers stopped). */
  close(): Promise<void>;
}

export async function connectEngine(server: DevServer, name: string): Promise<BenchEngine> {
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
  });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  return {
    workflowBundle,
    nativeConnection,
    client: new Client({ connection }),
    taskQueue: `bench-${name}-${randomBytes(4).toString('hex')}`,
    async close() {
      await connection.close();
      await nativeConnection.close();
    },
  };
}
