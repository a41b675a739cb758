/**
 * A test's world on a real server: the Temporal dev server, the demo sandbox (a running
 * gateway, its key, workspace and backups) and a worker on a task queue of the test's own.
 */
import type { Inventory } from '../../compiler';
import { loadInventory } from '../../compiler';
import { createSandbox, stopGateway, type Sandbox } from '../../demo/sandbox';
import { createWorker } from '../../worker/create';
import { tempDir } from './activity';
import { quietLogger, startTestServer, workflowBundle, type TestServer } from './temporal';

export interface SandboxWorld {
  env: TestServer;
  sb: Sandbox;
  inventory: Inventory;
  /** Stop the worker, the gateway and the server. */
  stop(): Promise<void>;
}

export async function startSandboxWorld(o: { home: string; taskQueue: string; ui?: boolean }): Promise<SandboxWorld> {
  const env = await startTestServer({ ui: o.ui ?? false });
  const sb = await createSandbox(tempDir('tourniquet-sandbox-'));
  const worker = await createWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue: o.taskQueue,
    home: o.home,
    logger: quietLogger,
    workflowBundle: await workflowBundle(),
  });
  const running = worker.run();
  return {
    env,
    sb,
    inventory: loadInventory(sb.inventoryFile),
    async stop() {
      worker.shutdown();
      await running;
      await stopGateway(sb);
      await env.stop();
    },
  };
}
