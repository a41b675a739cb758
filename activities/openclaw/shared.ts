/**
 * What every OpenClaw step shares: where the gateway answers, its token and config read where
 * the inventory says they live, a connection, the drill's identification, the proof check,
 * config changes that journal their undo, and the environment of an `openclaw` CLI call.
 *
 * The gateway token is used for the connection and the oracles, and never returned, logged or
 * journalled: only fingerprints.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import JSON5 from 'json5';
import type { OpenClawGateway, PlannedEffect } from '../../contract';
import { fingerprint } from '../../common/hash';
import { StepError } from '../errors';
import type { StepIO } from '../step';
import { connectGateway, type GatewayConnection } from './client';
import { configValue, getConfig, patchAt, patchConfig, readiness, status, type ConfigPatch } from './levers';
import { readGatewayLock, type Proof } from './oracles';

export const httpUrl = (g: OpenClawGateway) => `http://127.0.0.1:${g.port}`;
export const wsUrl = (g: OpenClawGateway) => `ws://127.0.0.1:${g.port}`;

/** The request id of a pause (`gateway.suspend.prepare`): renewing its lease is asking again under the same one. */
export const pauseRequestId = (workflowId: string, stepId: string) => `tourniquet-${workflowId}-${stepId}`;

/** The gateway's shared token, read where the inventory says it lives. */
export function readToken(g: OpenClawGateway): string {
  if (g.tokenFrom.kind === 'env-file') {
    const { envFile, key } = g.tokenFrom;
    if (!existsSync(envFile))
      throw new StepError('TargetNotFound', `${g.gateway}: env file ${envFile} (tokenFrom) does not exist: fix tokenFrom in the inventory`);
    const line = readFileSync(envFile, 'utf8')
      .split('\n')
      .find((l) => new RegExp(`^\\s*(?:export\\s+)?${key}\\s*=`).test(l));
    const value = line
      ?.slice(line.indexOf('=') + 1)
      .trim()
      .replace(/^["']|["']$/g, '');
    if (!value) throw new StepError('TargetNotFound', `${g.gateway}: ${key} is not set in ${envFile} (tokenFrom)`);
    return value;
  }
  const token = configValue(readConfigFile(g), 'gateway.auth.token');
  if (typeof token !== 'string' || !token)
    throw new StepError('TargetNotFound', `${g.gateway}: no gateway.auth.token in ${g.configPath}: set tokenFrom to the env file that holds it`);
  return token;
}

export function readConfigFile(g: OpenClawGateway): Record<string, unknown> {
  if (!existsSync(g.configPath))
    throw new StepError('TargetNotFound', `${g.gateway}: config ${g.configPath} does not exist: fix stateDir/configPath in the inventory's openclaw entry`);
  try {
    return JSON5.parse(readFileSync(g.configPath, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new StepError('TargetNotFound', `${g.gateway}: ${g.configPath} is not valid JSON5: ${(error as Error).message}`);
  }
}

/** Connect with the current token; a gateway that does not answer is an error that says where it was looked for. */
export async function connect(g: OpenClawGateway, token = readToken(g)): Promise<GatewayConnection> {
  try {
    return await connectGateway({ url: wsUrl(g), token, timeoutMs: 20_000 });
  } catch (error) {
    throw new StepError(
      'TargetNotFound',
      `${g.gateway}: no OpenClaw gateway accepted the token at ${wsUrl(g)} (${(error as Error).message}): is it running, and is port ${g.port} right?`,
    );
  }
}

export async function withConnection<T>(g: OpenClawGateway, fn: (gw: GatewayConnection) => Promise<T>, token?: string): Promise<T> {
  const gw = await connect(g, token);
  try {
    return await fn(gw);
  } finally {
    await gw.close().catch(() => undefined);
  }
}

/**
 * A drill's check: the gateway is ready, holds its state dir (lock file) and accepts the
 * token. Reads only.
 */
export async function identify(g: OpenClawGateway): Promise<PlannedEffect> {
  readToken(g);
  const ready = await readiness(httpUrl(g));
  if (ready.httpStatus !== 200)
    throw new StepError('TargetNotFound', `${g.gateway}: GET ${httpUrl(g)}/readyz answered ${ready.httpStatus || 'nothing'} (${ready.failing.join(', ')})`);
  const lock = readGatewayLock(g.stateDir);
  const pid = await withConnection(g, async (gw) => (await status(gw)).pid);
  return {
    kind: 'http',
    detail: `reach ${g.gateway} at ${wsUrl(g)} (ready; pid ${pid ?? '?'}${lock ? `, lock file pid ${lock.pid}` : ', no lock file'}; token ${fingerprint(readToken(g))} accepted)`,
  };
}

export function plan(describe: (g: OpenClawGateway) => string) {
  return async (args: OpenClawGateway): Promise<PlannedEffect[]> => [await identify(args), { kind: 'command', detail: describe(args) }];
}

export function requireProof(what: string, proofs: Proof[]): void {
  const failed = proofs.filter((p) => !p.holds);
  if (failed.length) throw new StepError('VerificationFailed', `${what} not confirmed: ${failed.map((p) => `${p.check}: ${p.observed}`).join('; ')}`);
}

/**
 * Apply config values, with the patch that restores the earlier ones recorded before the
 * change (a retry after a crash must undo to what the incident found, not to its own change).
 */
export async function setConfig(io: StepIO, gw: GatewayConnection, values: Record<string, unknown>): Promise<{ changedPaths: string[]; undo: ConfigPatch }> {
  let undo = io.pending?.record?.undo as ConfigPatch | undefined;
  if (!undo) {
    const before = (await getConfig(gw)).config;
    undo = patchAt(Object.fromEntries(Object.keys(values).map((path) => [path, configValue(before, path) ?? null])));
    io.markPending({ undo });
  }
  const { changedPaths } = await patchConfig(gw, patchAt(values));
  return { changedPaths, undo };
}

export const gatewayArgs = (g: OpenClawGateway): OpenClawGateway => ({
  gateway: g.gateway,
  stateDir: g.stateDir,
  configPath: g.configPath,
  port: g.port,
  tokenFrom: g.tokenFrom,
  node: g.node,
  openclawEntry: g.openclawEntry,
});

/** The environment of an `openclaw` CLI call for this gateway. */
export function cliEnv(g: OpenClawGateway): Record<string, string> {
  return {
    PATH: `${dirname(g.node)}:${process.env.PATH ?? ''}`,
    OPENCLAW_STATE_DIR: g.stateDir,
    OPENCLAW_CONFIG_PATH: g.configPath,
    OPENCLAW_GATEWAY_PORT: String(g.port),
    OPENCLAW_DISABLE_BONJOUR: '1',
    OPENCLAW_OFFLINE: '1',
    OPENCLAW_NO_AUTO_UPDATE: '1',
    CI: 'true',
    NO_COLOR: '1',
    // The worker's own Node flags (a loader) must not reach Node 24.
    NODE_OPTIONS: '',
  };
}

/** The workspace the agent reads MEMORY.md from. */
export function workspaceOf(g: OpenClawGateway): string {
  const ws = configValue(readConfigFile(g), 'agents.defaults.workspace');
  return typeof ws === 'string' ? ws : join(g.stateDir, 'workspace');
}

/** The memory files the agent's prompt is built from: MEMORY.md and memory/*.md. */
export function memoryFiles(g: OpenClawGateway): string[] {
  const ws = workspaceOf(g);
  const daily = join(ws, 'memory');
  return [
    join(ws, 'MEMORY.md'),
    ...(existsSync(daily)
      ? readdirSync(daily)
          .filter((n) => n.endsWith('.md'))
          .map((n) => join(daily, n))
      : []),
  ].filter((f) => existsSync(f));
}
