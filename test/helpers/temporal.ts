/**
 * A real Temporal dev server for one test file, started by the test itself (headless, its
 * own SQLite file and free port), plus a workflow bundle built once per file.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Logger } from 'pino';
import { getProgress } from '../../client/incidents';
import { createLogger, installRuntimeLogger } from '../../common/logger';
import type { IncidentProgress } from '../../contract';
import { WORKFLOWS_PATH } from '../../common/paths';
import { freePort } from '../../common/probe';
import { startDevServer, type DevServer } from '../../server/dev-server';
import { ensureTemporalCli } from '../../server/temporal-cli';
import { createWorker } from '../../worker/create';

export const quietLogger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'test');
// The SDK's own logs go through pino too, so tests print only what they fail on.
installRuntimeLogger(quietLogger);

export interface TestServer {
  dir: string;
  server: DevServer;
  address: string;
  uiUrl: string | undefined;
  client: Client;
  nativeConnection: NativeConnection;
  stop(): Promise<void>;
}

export async function startTestServer(options: { ui?: boolean } = {}): Promise<TestServer> {
  const cli = await ensureTemporalCli(quietLogger);
  const dir = mkdtempSync(join(tmpdir(), 'tourniquet-test-'));
  const server = await startDevServer({
    cliPath: cli.path,
    dbFile: join(dir, 'temporal.sqlite'),
    port: await freePort(),
    uiPort: options.ui ? await freePort() : false,
    logFile: join(dir, 'temporal-server.log'),
    logger: quietLogger,
  });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  return {
    dir,
    server,
    address: server.address,
    uiUrl: server.uiUrl,
    client,
    nativeConnection,
    async stop() {
      await nativeConnection.close();
      await connection.close();
      await server.stop();
    },
  };
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } });
  return bundle;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A worker in the test process on `env`'s server, polling `taskQueue`, with its incident state
 * under `home` (and its approvers' store and logger when given). Stop it with
 * `worker.shutdown()`, then `await running`.
 */
export async function startTestWorker(
  env: TestServer,
  o: { taskQueue: string; home: string; approversFile?: string; logger?: Logger },
): Promise<{ worker: Worker; running: Promise<void> }> {
  const worker = await createWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue: o.taskQueue,
    home: o.home,
    ...(o.approversFile ? { approversFile: o.approversFile } : {}),
    logger: o.logger ?? quietLogger,
    workflowBundle: await workflowBundle(),
  });
  return { worker, running: worker.run() };
}

/** A test file's server and worker together: most workflow tests need nothing else. */
export interface TestStack {
  env: TestServer;
  /** Stop the worker (waiting for it), then the server. */
  stop(): Promise<void>;
}

/**
 * A dev server (with its Web UI when `ui`) and a worker polling `taskQueue`.
 * `before()` builds it; `after(() => stack?.stop())`.
 */
export async function startTestStack(o: { taskQueue: string; home: string; ui?: boolean; approversFile?: string; logger?: Logger }): Promise<TestStack> {
  const env = await startTestServer({ ui: o.ui ?? false });
  const { worker, running } = await startTestWorker(env, o);
  return {
    env,
    async stop() {
      worker.shutdown();
      await running;
      await env.stop();
    },
  };
}

/** Wait until the incident's progress passes `check` (a query error fails at once). */
export const untilProgress = (client: Client, id: string, what: string, check: (p: IncidentProgress) => boolean, timeoutMs?: number) =>
  waitFor(
    what,
    async () => {
      const p = await getProgress(client, id);
      return check(p) ? p : undefined;
    },
    timeoutMs,
  );
