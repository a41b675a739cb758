/**
 * OpenClaw's own incident levers, one small function each, over the gateway's WebSocket RPC
 * (see ./client). Every lever here hot-applies: no gateway restart.
 *
 * Each mutating lever returns what it changed and the patch that undoes it (`undo`), built
 * from the config as it was just before; apply it with {@link patchConfig}. In a merge patch
 * `null` deletes a key, which is how a key that was absent before is put back.
 *
 * These functions report what the gateway answered. Whether the world changed is for the
 * oracles (./oracles) to say.
 */
import { randomBytes, createHash } from 'node:crypto';
import { GatewayRpcError, type GatewayConnection } from './client';

/** A merge patch for openclaw.json: nested objects merge, `null` deletes, arrays replace. */
export type ConfigPatch = Record<string, unknown>;

export interface LeverResult {
  /** Config paths the gateway reports it changed. */
  changedPaths: string[];
  /** The patch that puts the previous values back. */
  undo: ConfigPatch;
}

// ---------------------------------------------------------------------------------------------
// Health and status

/** `health`: plugins, channels, agents and heartbeat settings. A cached snapshot: use {@link status} for live heartbeat state. */
export function health(gw: GatewayConnection): Promise<Record<string, unknown>> {
  return gw.call('health', {});
}

/** `status`: the live summary (heartbeat per agent, tasks, sessions, pid, memory). */
export function status(
  gw: GatewayConnection,
): Promise<{ pid?: number; heartbeat?: { agents?: { agentId: string; enabled: boolean; every: string }[] } } & Record<string, unknown>> {
  return gw.call('status', {});
}

/** `GET /readyz` (no auth): `{ ready, failing }`, e.g. `failing: ["gateway-draining"]` while suspended. */
export async function readiness(httpUrl: string): Promise<{ httpStatus: number; ready: boolean; failing: string[] }> {
  try {
    const response = await fetch(`${httpUrl}/readyz`, { signal: AbortSignal.timeout(10_000) });
    const body = (await response.json().catch(() => ({}))) as { ready?: boolean; failing?: string[] };
    return { httpStatus: response.status, ready: body.ready === true, failing: body.failing ?? [] };
  } catch {
    return { httpStatus: 0, ready: false, failing: ['unreachable'] };
  }
}

// ---------------------------------------------------------------------------------------------
// Agent turns

export interface AgentTurn {
  runId: string;
  /** `ok`, `error` or `timeout`, from `agent.wait`. */
  status: string;
  /** The agent's final visible text, when there is one. */
  reply: string | undefined;
  /** Tools that ran successfully during the turn. */
  successfulToolNames: string[];
  raw: Record<string, unknown>;
}

/**
 * Run one agent turn and wait for its end: `agent` (accepted at once, returns a runId) then
 * `agent.wait`. The idempotency key makes a retried call the same run.
 */
export async function runAgentTurn(
  gw: GatewayConnection,
  turn: { message: string; sessionKey: string; agentId?: string; idempotencyKey?: string; timeoutMs?: number },
): Promise<AgentTurn> {
  const timeoutMs = turn.timeoutMs ?? 120_000;
  const accepted = await gw.call<{ runId: string }>('agent', {
    message: turn.message,
    agentId: turn.agentId ?? 'main',
    sessionKey: turn.sessionKey,
    idempotencyKey: turn.idempotencyKey ?? randomBytes(8).toString('hex'),
  });
  const done = await gw.call<{
    status: string;
    terminalReply?: { text?: string };
    terminalReceipt?: { successfulToolNames?: string[] };
  }>('agent.wait', { runId: accepted.runId, timeoutMs }, timeoutMs + 10_000);
  return {
    runId: accepted.runId,
    status: done.status,
    reply: done.terminalReply?.text,
    successfulToolNames: done.terminalReceipt?.successfulToolNames ?? [],
    raw: done as Record<string, unknown>,
  };
}

// ---------------------------------------------------------------------------------------------
// Config

export interface ConfigSnapshot {
  /** The config file the gateway reads. */
  path: string;
  /** The parsed config, secrets replaced by `__OPENCLAW_REDACTED__`. */
  config: Record<string, unknown>;
  /** The revision, required as `baseHash` by `config.patch`. */
  hash: string;
}

/** `config.get`: the on-disk config (secrets redacted by the gateway) and its revision hash. */
export async function getConfig(gw: GatewayConnection): Promise<ConfigSnapshot> {
  const answer = await gw.call<{ path: string; config: Record<string, unknown>; hash: string }>('config.get', {});
  return { path: answer.path, config: answer.config ?? {}, hash: answer.hash };
}

/**
 * `config.patch`: merge a partial config, hot-applied. The gateway wants the revision it is
 * patching (`baseHash`); when someone else wrote in between, re-read and retry once.
 * `replacePaths` lists the arrays to replace rather than refuse.
 */
export async function patchConfig(gw: GatewayConnection, patch: ConfigPatch, replacePaths: string[] = []): Promise<{ changedPaths: string[]; hash: string }> {
  for (let attempt = 1; ; attempt++) {
    const { hash } = await getConfig(gw);
    try {
      const answer = await gw.call<{ changedPaths?: string[]; hash: string }>('config.patch', {
        raw: JSON.stringify(patch),
        baseHash: hash,
        ...(replacePaths.length ? { replacePaths } : {}),
      });
      return { changedPaths: answer.changedPaths ?? [], hash: answer.hash };
    } catch (error) {
      const conflict = error instanceof GatewayRpcError && /hash/i.test(error.message);
      if (!conflict || attempt >= 2) throw error;
    }
  }
}

/** The value at a dotted path of a config object, or undefined. */
export function configValue(config: Record<string, unknown>, path: string): unknown {
  let node: unknown = config;
  for (const key of path.split('.')) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** A nested patch setting each dotted path to its value. */
export function patchAt(values: Record<string, unknown>): ConfigPatch {
  const patch: ConfigPatch = {};
  for (const [path, value] of Object.entries(values)) {
    const keys = path.split('.');
    let node = patch;
    keys.slice(0, -1).forEach((key) => {
      node[key] ??= {};
      node = node[key] as ConfigPatch;
    });
    node[keys.at(-1)!] = value;
  }
  return patch;
}

/** Set config paths and return the patch that restores them (`null` for paths that were absent). */
async function setPaths(gw: GatewayConnection, values: Record<string, unknown>, replacePaths: string[] = []): Promise<LeverResult> {
  const before = (await getConfig(gw)).config;
  const previous = Object.fromEntries(Object.keys(values).map((path) => [path, configValue(before, path) ?? null]));
  const { changedPaths } = await patchConfig(gw, patchAt(values), replacePaths);
  return { changedPaths, undo: patchAt(previous) };
}

// ---------------------------------------------------------------------------------------------
// Levers

/**
 * Rotate the gateway's shared token (`gateway.auth.token`). The gateway re-reads it on every
 * HTTP request and closes WebSocket clients authenticated with the old one (close code 4001).
 * The value is returned once, for the caller to store; only its fingerprint belongs in logs.
 * There is no undo: a leaked token must stay dead.
 */
export async function rotateGatewayToken(
  gw: GatewayConnection,
  newToken = randomBytes(24).toString('hex'),
): Promise<{ token: string; fingerprint: string; changedPaths: string[] }> {
  const { changedPaths } = await patchConfig(gw, { gateway: { auth: { token: newToken } } });
  return { token: newToken, fingerprint: fingerprint(newToken), changedPaths };
}

/** The first 12 hex digits of a secret's SHA-256: enough to tell two apart, useless to an attacker. */
export function fingerprint(secret: string): string {
  return `sha256:${createHash('sha256').update(secret).digest('hex').slice(0, 12)}`;
}

/**
 * Deny host exec (`tools.exec.mode: "deny"`): the exec tool stays visible to the model, and
 * every call answers `exec denied: host=gateway security=deny` without running anything.
 */
export function lockDownExec(gw: GatewayConnection): Promise<LeverResult> {
  return setPaths(gw, { 'tools.exec.mode': 'deny' });
}

/** Remove tools from the model entirely (`tools.deny`, added to what is there). */
export async function denyTools(gw: GatewayConnection, names: string[]): Promise<LeverResult> {
  const current = configValue((await getConfig(gw)).config, 'tools.deny');
  const existing = Array.isArray(current) ? current.map(String) : [];
  return setPaths(gw, { 'tools.deny': [...new Set([...existing, ...names])] }, ['tools.deny']);
}

/**
 * Freeze automations: the cron scheduler off (`cron.enabled: false`), missed runs skipped when
 * it comes back (`cron.skipMissedJobs: true`, else the missed slot fires at once), and
 * heartbeats off for every agent by default (`agents.defaults.heartbeat.every: "0m"`; the
 * runtime-only heartbeat switch would come back on at the next start).
 */
export function freezeAutomations(gw: GatewayConnection): Promise<LeverResult> {
  return setPaths(gw, { 'cron.skipMissedJobs': true, 'cron.enabled': false, 'agents.defaults.heartbeat.every': '0m' });
}

/** Enable or disable one skill (`skills.entries.<key>.enabled`). */
export function setSkillEnabled(gw: GatewayConnection, key: string, enabled: boolean): Promise<LeverResult> {
  return setPaths(gw, { [`skills.entries.${key}.enabled`]: enabled });
}

/** Enable or disable one plugin (`plugins.entries.<id>.enabled`). */
export function setPluginEnabled(gw: GatewayConnection, id: string, enabled: boolean): Promise<LeverResult> {
  return setPaths(gw, { [`plugins.entries.${id}.enabled`]: enabled });
}

/** Enable or disable one internal hook, e.g. `boot-md` (`hooks.internal.entries.<name>.enabled`). */
export function setHookEnabled(gw: GatewayConnection, name: string, enabled: boolean): Promise<LeverResult> {
  return setPaths(gw, { [`hooks.internal.entries.${name}.enabled`]: enabled });
}

/** Enable or disable a configured MCP server (`mcp.servers.<name>.enabled`); an unknown name is an error. */
export async function setMcpServerEnabled(gw: GatewayConnection, name: string, enabled: boolean): Promise<LeverResult> {
  await requireConfigured(gw, `mcp.servers.${name}`, 'MCP server');
  return setPaths(gw, { [`mcp.servers.${name}.enabled`]: enabled });
}

/** Enable or disable a configured channel (`channels.<id>.enabled`); an unknown channel is an error. */
export async function setChannelEnabled(gw: GatewayConnection, id: string, enabled: boolean): Promise<LeverResult> {
  await requireConfigured(gw, `channels.${id}`, 'channel');
  return setPaths(gw, { [`channels.${id}.enabled`]: enabled });
}

async function requireConfigured(gw: GatewayConnection, path: string, what: string): Promise<void> {
  const { config, path: file } = await getConfig(gw);
  if (configValue(config, path) === undefined) throw new Error(`no ${what} at ${path} in ${file}: check the name against the gateway's config`);
}

// ---------------------------------------------------------------------------------------------
// Cron, sessions, suspension

export interface CronJob {
  id: string;
  name: string;
  enabled: boolean;
  declarationKey?: string;
  schedule: Record<string, unknown>;
  payload: { kind: string; argv?: string[] } & Record<string, unknown>;
  createdAtMs?: number;
  nextRunAtMs?: number;
}

/** `cron.list` with disabled jobs included (the CLI hides them unless `--all`). */
export async function listCronJobs(gw: GatewayConnection): Promise<CronJob[]> {
  return (await gw.call<{ jobs: CronJob[] }>('cron.list', { includeDisabled: true })).jobs;
}

/** `cron.status`: `{ enabled, nextWakeAtMs, jobs }`; frozen means `enabled: false, nextWakeAtMs: null`. */
export function cronStatus(gw: GatewayConnection): Promise<{ enabled: boolean; nextWakeAtMs: number | null; jobs: number }> {
  return gw.call('cron.status', {});
}

/** `cron.runs` for one job: its run history, newest first. */
export async function cronRuns(gw: GatewayConnection, jobId: string): Promise<{ ts: number; jobId: string; action: string; status?: string }[]> {
  return (await gw.call<{ entries: { ts: number; jobId: string; action: string; status?: string }[] }>('cron.runs', { id: jobId })).entries;
}

/** Enable or disable one cron job (`cron.update`). */
export async function setCronJobEnabled(gw: GatewayConnection, jobId: string, enabled: boolean): Promise<CronJob> {
  return gw.call<CronJob>('cron.update', { id: jobId, patch: { enabled } });
}

/** `sessions.list`: the sessions the gateway knows (key, sessionId, activity). */
export async function listSessions(gw: GatewayConnection): Promise<{ key: string; sessionId?: string; [k: string]: unknown }[]> {
  return (await gw.call<{ sessions: { key: string; sessionId?: string }[] }>('sessions.list', {})).sessions;
}

/** `sessions.abort` with its queued follow-ups cleared: stops a runaway session's runs. */
export function abortSession(gw: GatewayConnection, key: string): Promise<{ ok: boolean; abortedRunId?: string | null; status?: string }> {
  return gw.call('sessions.abort', { key, clearQueued: true });
}

/**
 * `gateway.suspend.prepare`: a short (~2 min) lease during which the gateway admits no new
 * work (`/readyz` says `gateway-draining`, `/tools/invoke` answers 503). `busy` with
 * `blockers` when work is in flight. Renew before `expiresAtMs`; undo with {@link resumeGateway}.
 */
export function suspendGateway(
  gw: GatewayConnection,
  requestId: string,
): Promise<{ status: 'ready' | 'busy' | string; suspensionId?: string; expiresAtMs?: number; blockers?: unknown[] }> {
  return gw.call('gateway.suspend.prepare', { requestId });
}

/** `gateway.suspend.resume`: end a suspension (idempotent). */
export function resumeGateway(gw: GatewayConnection, suspensionId: string): Promise<{ ok: boolean; status: string; resumed: boolean }> {
  return gw.call('gateway.suspend.resume', { suspensionId });
}

// ---------------------------------------------------------------------------------------------
// CLI-only

/** Runs `openclaw <args>` for one gateway (its state dir and config in the environment). */
export type OpenClawCli = (args: string[]) => Promise<{ exitCode: number; stdout: string; stderr: string }>;

export interface SecurityAudit {
  summary: { critical: number; warn: number; info: number };
  findings: { checkId: string; severity: string; title: string; detail?: string; remediation?: string }[];
}

/**
 * `openclaw security audit --json` (no RPC exists for it; 10–15 s). `--deep` is left out: its
 * gateway probe fails falsely in 2026.9.6 (openclaw/openclaw#128217).
 */
export async function securityAudit(cli: OpenClawCli): Promise<SecurityAudit> {
  const result = await cli(['security', 'audit', '--json']);
  const start = result.stdout.indexOf('{');
  if (start < 0) throw new Error(`openclaw security audit --json printed no JSON (exit ${result.exitCode}): ${result.stderr.trim().slice(-400)}`);
  return JSON.parse(result.stdout.slice(start)) as SecurityAudit;
}
