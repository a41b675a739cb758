/**
 * One OpenClaw scenario's world: a real gateway on a loopback model stub, a real Temporal dev
 * server and a worker in the test process that logs into a real file (so a test can show a
 * secret never reached a log line), and an inventory naming the gateway `claw`.
 *
 * Starting a gateway costs 15–30 s and ~1 GB: one world per test file.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import pino from 'pino';
import type { Worker } from '@temporalio/worker';
import { compilePlaybook, findPlaybook, YamlSource, type Inventory } from '../../compiler';
import { getProgress } from '../../client/incidents';
import type { IncidentProgress } from '../../contract';
import { startGateway, type Gateway, type GatewayOptions } from '../../server/openclaw/gateway';
import { ensureOpenClaw, type OpenClawInstall } from '../../server/openclaw/install';
import { startModelStub, STUB_MODEL_ID, type ModelStub } from '../../server/openclaw/model-stub';
import { createWorker } from '../../worker/create';
import { tempDir } from './activity';
import { namesBelieved } from './start';
import { startTestServer, waitFor, workflowBundle, type TestServer } from './temporal';

export const skipOpenClaw = process.env.TOURNIQUET_SKIP_OPENCLAW === '1' ? 'TOURNIQUET_SKIP_OPENCLAW=1' : false;
export const MINUTE = 60_000;

export interface ClawWorld {
  install: OpenClawInstall;
  stub: ModelStub;
  gateway: Gateway;
  env: TestServer;
  taskQueue: string;
  home: string;
  /** The in-process worker's pino log file. */
  logFile: string;
  inventory: Inventory;
  /** A built-in playbook compiled against the inventory, typed names believed at its gates. */
  compile(playbook: string, mode: 'live' | 'drill', params?: Record<string, string>): ReturnType<typeof compilePlaybook>;
  stop(): Promise<void>;
}

export interface ClawWorldOptions {
  gateway?: Omit<GatewayOptions, 'install' | 'provider'>;
  /** Inventory sections besides `openclaw` (services, for a gateway run as a plain process). */
  inventory?: Partial<Omit<Inventory, 'openclaw'>>;
  /** Start the worker in this process (default) or leave it to the test (a worker process). */
  worker?: boolean;
}

export async function startClawWorld(options: ClawWorldOptions = {}): Promise<ClawWorld> {
  const install = await ensureOpenClaw({ log: (line) => console.error(`openclaw test: ${line}`) });
  const stub = await startModelStub();
  const gateway = await startGateway({
    install,
    provider: { id: 'stub', config: stub.providerConfig(), model: STUB_MODEL_ID },
    keep: process.env.TOURNIQUET_KEEP_OPENCLAW === '1',
    ...options.gateway,
  });
  const env = await startTestServer();
  const home = tempDir('tourniquet-claw-home-');
  const logFile = join(home, 'worker.log');
  const taskQueue = `claw-${randomUUID()}`;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  if (options.worker !== false) {
    worker = await createWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue,
      home,
      logger: pino({ level: 'debug' }, pino.destination({ dest: logFile, sync: true })),
      workflowBundle: await workflowBundle(),
    });
    running = worker.run();
  }
  const inventory: Inventory = {
    approvers: {},
    services: {},
    credentials: {},
    paths: {},
    backups: {},
    repos: {},
    checks: {},
    networks: {},
    channels: {},
    commands: {},
    ...options.inventory,
    openclaw: {
      claw: {
        stateDir: gateway.stateDir,
        configPath: gateway.configPath,
        port: gateway.port,
        tokenFrom: 'config',
        node: install.node,
        openclawEntry: install.openclawEntry,
        // The stub model obeys RUN_EXEC:<command>: a lockdown is proven by a real denied exec.
        execProbe: 'RUN_EXEC:{command}',
      },
    },
  } as Inventory;
  return {
    install,
    stub,
    gateway,
    env,
    taskQueue,
    home,
    logFile,
    inventory,
    compile: (playbook, mode, params = { gateway: 'claw' }) =>
      namesBelieved(compilePlaybook(YamlSource.read(findPlaybook(playbook)), { inventory, params, mode, home })),
    async stop() {
      worker?.shutdown();
      await running;
      await env.stop();
      await gateway.stop();
      await stub.close();
    },
  };
}

/**
 * A world for the enclosing `describe`: started before its tests (OpenClaw's install can take
 * minutes on a fresh machine), stopped after them. Its fields are there once `before` has run.
 */
export function clawWorldForSuite(options: ClawWorldOptions = {}): ClawWorld {
  const world = {} as ClawWorld;
  before(
    async () => {
      Object.assign(world, await startClawWorld(options));
    },
    { timeout: 10 * MINUTE },
  );
  after(async () => {
    await world.stop?.();
  });
  return world;
}

/**
 * Wait until `until` holds for the incident's progress, approving every gate it opens on the
 * way (two names: S1 changes take two people); fails at once when the incident fails.
 */
export function driveIncident(
  world: Pick<ClawWorld, 'env'>,
  id: string,
  what: string,
  until: (p: IncidentProgress) => boolean,
  approve?: (step: string) => Promise<unknown>,
  timeoutMs = 8 * MINUTE,
): Promise<IncidentProgress> {
  const approved = new Set<string>();
  return waitFor(
    what,
    async () => {
      // A query needs a worker: while a killed one is being replaced, there is no answer yet.
      const p = await getProgress(world.env.client, id).catch(() => undefined);
      if (!p) return undefined;
      if (p.state === 'failed' || p.state === 'aborted') throw new Error(`incident ${p.state}: ${JSON.stringify(p.steps.filter((s) => s.error))}`);
      if (approve)
        for (const gate of p.pendingApprovals.filter((g) => !approved.has(g.step))) {
          approved.add(gate.step);
          await approve(gate.step);
        }
      return until(p) ? p : undefined;
    },
    timeoutMs,
  );
}

/** Every file under `dir`. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

/** The current gateway token in the gateway's config file. */
export function currentToken(gateway: Gateway): string {
  return JSON.parse(readFileSync(gateway.configPath, 'utf8')).gateway.auth.token as string;
}

/** Lines of a file a shell payload appends to on every run (0 when it does not exist yet). */
export function lineCount(path: string): number {
  try {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}
