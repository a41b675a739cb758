/**
 * Start a real OpenClaw gateway for a test: isolated state in a temp folder, loopback only,
 * a free port, a fresh gateway token, and the model provider pointed at a loopback stub.
 * Starting one takes 12–27 s on two busy cores and ~1 GB of memory: one per test file.
 *
 * Isolation: OPENCLAW_STATE_DIR, OPENCLAW_CONFIG_PATH, OPENCLAW_HOME and HOME point into the
 * temp folder; `logging.file` is set before anything runs so nothing logs to /tmp/openclaw;
 * Bonjour (mDNS), update checks, telemetry and helper downloads are off. Two leaks remain,
 * both hard-coded to /tmp: CLI calls create an empty /tmp/openclaw/ (removed on stop when it
 * was not there before and is still empty), and OpenClaw keeps zero-byte SQLite lock files in
 * /tmp/openclaw-state-locks-<uid>/, one per database path (left alone: another gateway on
 * this machine may hold them; parallel gateways do not collide).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { OpenClawInstall } from './install';

export interface GatewayOptions {
  install: OpenClawInstall;
  /** `models.providers.<providerId>`, e.g. from `ModelStub.providerConfig()`. */
  provider?: { id: string; config: Record<string, unknown>; model: string };
  /** Extra config merged (shallowly, per top-level key) over the harness's own. */
  config?: Record<string, unknown>;
  /** Files to write into the workspace before the start (e.g. `MEMORY.md`). */
  workspaceFiles?: Record<string, string>;
  /** How long to wait for `/readyz`; generous because the machine is shared. */
  readyTimeoutMs?: number;
  /** Keep the temp folder after stop (for a post-mortem). */
  keep?: boolean;
}

export interface Gateway {
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  root: string;
  stateDir: string;
  configPath: string;
  workspaceDir: string;
  /** The gateway's stdout and stderr. */
  outputPath: string;
  /** `logging.file`: OpenClaw's JSON-lines log. */
  logPath: string;
  /** The token the gateway was started with (a test may rotate it later). */
  token: string;
  pid: number;
  /** The environment every `openclaw` command for this gateway needs. */
  env: NodeJS.ProcessEnv;
  /** Run the `openclaw` CLI against this gateway's state (slow: 1–26 s per call). */
  cli(args: string[], options?: { timeoutMs?: number }): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  /** SIGTERM, then SIGKILL after `graceMs`; removes the temp folder unless `keep`. */
  stop(graceMs?: number): Promise<void>;
}

/** A TCP port nothing listens on right now (the kernel's choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The gateway's port plus the ones it derives (browser control at +2, CDP at +11…+110) are all free. */
async function freeGatewayPort(avoid: number[]): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await freePort();
    if (port + 110 < 65536 && !avoid.some((p) => p >= port && p <= port + 110)) return port;
  }
  throw new Error('no free port for the gateway away from the stub ports: free some ports on 127.0.0.1 and retry');
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { install } = options;
  const root = mkdtempSync(join(tmpdir(), 'tourniquet-openclaw-'));
  const stateDir = join(root, 'state');
  const home = join(root, 'home');
  const workspaceDir = join(stateDir, 'workspace');
  const configPath = join(stateDir, 'openclaw.json');
  const logPath = join(stateDir, 'logs', 'openclaw.log');
  const outputPath = join(root, 'gateway.out');
  for (const dir of [stateDir, home, workspaceDir, join(root, 'tmp'), join(root, 'xdg-run'), join(stateDir, 'logs')]) mkdirSync(dir, { recursive: true });
  chmodSync(stateDir, 0o700);

  const providerPort = options.provider ? Number(new URL(String(options.provider.config.baseUrl)).port) : undefined;
  const port = await freeGatewayPort(providerPort ? [providerPort] : []);
  const token = randomBytes(24).toString('hex');

  const config: Record<string, unknown> = {
    gateway: { mode: 'local', port, bind: 'loopback', auth: { mode: 'token', token } },
    update: { checkOnStart: false },
    telemetry: { enabled: false },
    logging: { file: logPath },
    ...(options.provider
      ? {
          models: { providers: { [options.provider.id]: options.provider.config } },
          agents: { defaults: { model: { primary: `${options.provider.id}/${options.provider.model}` }, workspace: workspaceDir } },
        }
      : { agents: { defaults: { workspace: workspaceDir } } }),
    ...options.config,
  };
  writeFileSync(configPath, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  for (const [name, content] of Object.entries(options.workspaceFiles ?? {})) writeFileSync(join(workspaceDir, name), content);

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // openclaw.mjs is `#!/usr/bin/env node` and starts workers with process.execPath: Node 24 first.
    PATH: `${install.binDir}:${process.env.PATH ?? ''}`,
    HOME: home,
    OPENCLAW_HOME: home,
    OPENCLAW_STATE_DIR: stateDir,
    OPENCLAW_CONFIG_PATH: configPath,
    OPENCLAW_GATEWAY_PORT: String(port),
    OPENCLAW_DISABLE_BONJOUR: '1',
    OPENCLAW_OFFLINE: '1',
    OPENCLAW_NO_AUTO_UPDATE: '1',
    CI: 'true',
    DO_NOT_TRACK: '1',
    NO_COLOR: '1',
    TMPDIR: join(root, 'tmp'),
    XDG_RUNTIME_DIR: join(root, 'xdg-run'),
    XDG_CONFIG_HOME: join(home, '.config'),
  };
  // The gateway must not inherit the test runner's Node flags (tsx's loader, --test).
  delete env.NODE_OPTIONS;
  for (const key of Object.keys(env)) if (key.startsWith('NODE_TEST')) delete env[key];

  const defaultLogDir = '/tmp/openclaw';
  const hadDefaultLogDir = existsSync(defaultLogDir);

  const out = openSync(outputPath, 'a');
  const child = spawn(install.node, [install.openclawEntry, 'gateway', 'run', '--port', String(port)], {
    cwd: root,
    env,
    detached: true, // its own process group: stop() signals the gateway and its workers together
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  child.unref();
  const pid = child.pid;
  if (!pid) throw new Error(`could not spawn ${install.node}: check that the OpenClaw install in ${install.binDir}/.. is intact (npm run setup:openclaw)`);
  let exited: number | null | undefined;
  child.once('exit', (code, signal) => {
    exited = code ?? (signal ? -1 : null);
  });

  const url = `http://127.0.0.1:${port}`;
  const gateway: Gateway = {
    port,
    url,
    root,
    stateDir,
    configPath,
    workspaceDir,
    outputPath,
    logPath,
    token,
    pid,
    env,
    async cli(args, cliOptions = {}) {
      const result = await execa(install.node, [install.openclawEntry, ...args], {
        env,
        extendEnv: false,
        reject: false,
        timeout: cliOptions.timeoutMs ?? 120_000,
        cwd: root,
      });
      return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
    },
    async stop(graceMs = 30_000) {
      if (alive(pid)) {
        signalGroup(pid, 'SIGTERM');
        const deadline = Date.now() + graceMs;
        while (alive(pid) && Date.now() < deadline) await sleep(200);
        signalGroup(pid, 'SIGKILL');
        while (alive(pid)) await sleep(100);
      }
      if (!options.keep) rmSync(root, { recursive: true, force: true });
      if (!hadDefaultLogDir) removeIfEmpty(defaultLogDir);
    },
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 180_000);
  for (const path of ['/healthz', '/readyz']) {
    for (;;) {
      if (exited !== undefined) {
        const tail = existsSync(outputPath) ? readFileSync(outputPath, 'utf8').trim().split('\n').slice(-15).join('\n') : '';
        await gateway.stop();
        throw new Error(`the OpenClaw gateway exited (code ${exited}) before ${path} answered 200. Its output ended with:\n${tail}`);
      }
      if ((await httpStatus(`${url}${path}`)) === 200) break;
      if (Date.now() > deadline) {
        const tail = readFileSync(outputPath, 'utf8').trim().split('\n').slice(-15).join('\n');
        await gateway.stop();
        throw new Error(
          `the OpenClaw gateway did not answer 200 on ${path} within ${options.readyTimeoutMs ?? 180_000} ms (a busy machine can need more: raise readyTimeoutMs). Its output ended with:\n${tail}`,
        );
      }
      await sleep(500);
    }
  }
  return gateway;
}

/** The HTTP status of a GET, or 0 when nothing answers. */
export async function httpStatus(url: string, timeoutMs = 5_000): Promise<number> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.status;
  } catch {
    return 0;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (exited, not yet reaped) counts as gone.
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function removeIfEmpty(dir: string): void {
  try {
    if (readdirSync(dir).length === 0) rmdirSync(dir);
  } catch {
    // Gone already, or someone else's files in it.
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
