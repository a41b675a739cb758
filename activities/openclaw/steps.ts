/**
 * The OpenClaw actions as incident steps: each a lever of ./levers applied over the gateway's
 * RPC, then confirmed by an oracle of ./oracles that looks at the world. A result says which
 * check proved it (`data.proof`) and how to undo it (`data.undo`: an `openclawUndo` step, or
 * null). A drill connects and identifies the gateway (ready, lock file, token accepted) and
 * changes nothing; a gateway that cannot be found fails the drill as it would fail the run.
 *
 * The gateway token is read at run time from where the inventory says it lives, used for the
 * connection and the oracles, and never returned, logged or journalled: only fingerprints.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import JSON5 from 'json5';
import type { ActionArgs, OpenClawGateway, PlannedEffect } from '../../contract';
import { sha256File } from '../../common/hash';
import { findSecrets, redactText } from '../../common/secrets/detect';
import { rotatedFingerprints } from '../leaks/known';
import type { ActivityDeps } from '../deps';
import { StepError } from '../errors';
import { publishEvidence, verifyEvidence, writeCaptured, type SourceRecord } from '../evidence/folder';
import { incidentDir, safeName } from '../journal';
import { defineStep, type StepIO } from '../step';
import { connectGateway, type GatewayConnection } from './client';
import {
  configValue,
  cronStatus,
  getConfig,
  health,
  listCronJobs,
  listSessions,
  patchAt,
  patchConfig,
  readiness,
  resumeGateway,
  rotateGatewayToken,
  suspendGateway,
  runAgentTurn,
  securityAudit,
  setCronJobEnabled,
  status,
  type ConfigPatch,
  type CronJob,
} from './levers';
import {
  componentDisabled,
  execDeniedByProbe,
  fileAbsent,
  portClosed,
  processGone,
  readGatewayLock,
  tokenAccepted,
  tokenRefused,
  toolsInvokeStatus,
  type Proof,
} from './oracles';
import { fingerprint } from '../../common/hash';

const httpUrl = (g: OpenClawGateway) => `http://127.0.0.1:${g.port}`;
const wsUrl = (g: OpenClawGateway) => `ws://127.0.0.1:${g.port}`;

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

function readConfigFile(g: OpenClawGateway): Record<string, unknown> {
  if (!existsSync(g.configPath))
    throw new StepError('TargetNotFound', `${g.gateway}: config ${g.configPath} does not exist: fix stateDir/configPath in the inventory's openclaw entry`);
  try {
    return JSON5.parse(readFileSync(g.configPath, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new StepError('TargetNotFound', `${g.gateway}: ${g.configPath} is not valid JSON5: ${(error as Error).message}`);
  }
}

/** Connect with the current token; a gateway that does not answer is an error that says where it was looked for. */
async function connect(g: OpenClawGateway, token = readToken(g)): Promise<GatewayConnection> {
  try {
    return await connectGateway({ url: wsUrl(g), token, timeoutMs: 20_000 });
  } catch (error) {
    throw new StepError(
      'TargetNotFound',
      `${g.gateway}: no OpenClaw gateway accepted the token at ${wsUrl(g)} (${(error as Error).message}): is it running, and is port ${g.port} right?`,
    );
  }
}

async function withConnection<T>(g: OpenClawGateway, fn: (gw: GatewayConnection) => Promise<T>, token?: string): Promise<T> {
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
async function identify(g: OpenClawGateway): Promise<PlannedEffect> {
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

function plan(describe: (g: OpenClawGateway) => string) {
  return async (args: OpenClawGateway): Promise<PlannedEffect[]> => [await identify(args), { kind: 'command', detail: describe(args) }];
}

function requireProof(what: string, proofs: Proof[]): void {
  const failed = proofs.filter((p) => !p.holds);
  if (failed.length) throw new StepError('VerificationFailed', `${what} not confirmed: ${failed.map((p) => `${p.check}: ${p.observed}`).join('; ')}`);
}

/**
 * Apply config values, with the patch that restores the earlier ones recorded before the
 * change (a retry after a crash must undo to what the incident found, not to its own change).
 */
async function setConfig(io: StepIO, gw: GatewayConnection, values: Record<string, unknown>): Promise<{ changedPaths: string[]; undo: ConfigPatch }> {
  let undo = io.pending?.record?.undo as ConfigPatch | undefined;
  if (!undo) {
    const before = (await getConfig(gw)).config;
    undo = patchAt(Object.fromEntries(Object.keys(values).map((path) => [path, configValue(before, path) ?? null])));
    io.markPending({ undo });
  }
  const { changedPaths } = await patchConfig(gw, patchAt(values));
  return { changedPaths, undo };
}

const gatewayArgs = (g: OpenClawGateway): OpenClawGateway => ({
  gateway: g.gateway,
  stateDir: g.stateDir,
  configPath: g.configPath,
  port: g.port,
  tokenFrom: g.tokenFrom,
  node: g.node,
  openclawEntry: g.openclawEntry,
});

/** The environment of an `openclaw` CLI call for this gateway. */
function cliEnv(g: OpenClawGateway): Record<string, string> {
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
function workspaceOf(g: OpenClawGateway): string {
  const ws = configValue(readConfigFile(g), 'agents.defaults.workspace');
  return typeof ws === 'string' ? ws : join(g.stateDir, 'workspace');
}

/** The memory files the agent's prompt is built from: MEMORY.md and memory/*.md. */
function memoryFiles(g: OpenClawGateway): string[] {
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

/** Read every transcript event of an agent database through SQLite (an online read, never a copy of the WAL file). */
async function dumpTranscripts(
  deps: ActivityDeps,
  io: StepIO,
  g: OpenClawGateway,
  db: string,
  copyTo: string,
): Promise<{ text: string; ok: boolean; error?: string }> {
  const script = `
    const { DatabaseSync } = require('node:sqlite');
    const zlib = require('node:zlib');
    const db = new DatabaseSync(process.argv[1], { readOnly: true });
    db.exec("VACUUM INTO '" + process.argv[2].replaceAll("'", "''") + "'");
    const cols = db.prepare("SELECT name FROM pragma_table_info('transcript_events')").all().map((c) => c.name);
    const rows = db.prepare('SELECT * FROM transcript_events ORDER BY session_id, seq').all();
    for (const r of rows) {
      let event = r.event_json;
      if (!event && r.event_zstd && zlib.zstdDecompressSync) event = zlib.zstdDecompressSync(Buffer.from(r.event_zstd)).toString('utf8');
      process.stdout.write(JSON.stringify({ session_id: r.session_id, seq: r.seq, event: event ?? null }) + '\\n');
    }`;
  const result = await deps.run([g.node, '-e', script, db, copyTo], { signal: io.signal, timeoutMs: 120_000, env: cliEnv(g) });
  return result.exitCode === 0 ? { text: result.stdout, ok: true } : { text: '', ok: false, error: result.stderr.trim().split('\n').at(-1) ?? '' };
}

/**
 * Scrub secrets out of an online copy of an agent database: every text value that holds one
 * has it replaced by its marker, compressed transcript events are rewritten the same way,
 * the full-text indexes (derived, and holding every word of every message) are dropped with
 * the triggers that fed them, and the file is vacuumed so no freed page keeps the old text. The secrets arrive on stdin,
 * never in a command line.
 */
async function scrubDatabase(deps: ActivityDeps, io: StepIO, g: OpenClawGateway, copy: string, secrets: { value: string; marker: string }[]) {
  const script = `
    const { DatabaseSync } = require('node:sqlite');
    const zlib = require('node:zlib');
    const secrets = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
    const db = new DatabaseSync(process.argv[1]);
    const q = (name) => '"' + name.replaceAll('"', '""') + '"';
    for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all()) db.exec('DROP TRIGGER ' + q(name));
    for (const { name, sql } of db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all())
      if (/CREATE VIRTUAL TABLE/i.test(sql ?? '')) {
        // A module this Node lacks (sqlite-vec's vectors) cannot be dropped; it holds numbers, not text.
        try { db.exec('DROP TABLE IF EXISTS ' + q(name)); } catch {}
      }
    for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all()) {
      for (const { name: col } of db.prepare('SELECT name FROM pragma_table_info(?)').all(name)) {
        for (const s of secrets)
          db.prepare('UPDATE ' + q(name) + ' SET ' + q(col) + ' = replace(' + q(col) + ', ?, ?) WHERE typeof(' + q(col) + ") = 'text' AND instr(" + q(col) + ', ?) > 0').run(s.value, s.marker, s.value);
      }
    }
    const cols = db.prepare("SELECT name FROM pragma_table_info('transcript_events')").all().map((c) => c.name);
    if (cols.includes('event_zstd') && zlib.zstdDecompressSync) {
      for (const r of db.prepare('SELECT rowid, event_zstd FROM transcript_events WHERE event_zstd IS NOT NULL').all()) {
        let text = zlib.zstdDecompressSync(Buffer.from(r.event_zstd)).toString('utf8');
        if (!secrets.some((s) => text.includes(s.value))) continue;
        for (const s of secrets) text = text.split(s.value).join(s.marker);
        db.prepare('UPDATE transcript_events SET event_zstd = ? WHERE rowid = ?').run(zlib.zstdCompressSync(Buffer.from(text)), r.rowid);
      }
    }
    db.exec('VACUUM');
    db.close();`;
  const result = await deps.run([g.node, '-e', script, copy], { signal: io.signal, timeoutMs: 120_000, env: cliEnv(g), input: JSON.stringify(secrets) });
  if (result.exitCode !== 0)
    throw new StepError(
      'CommandFailed',
      `could not scrub the secrets out of ${copy}: ${result.stderr.split('\n').find((l) => /Error/.test(l)) ?? result.stderr.trim().split('\n').at(-1) ?? ''}`,
    );
}

/** Every string value under a key that names a secret (token, apiKey, password, secret), for redaction. */
function secretValues(node: unknown, key = ''): string[] {
  if (typeof node === 'string') return /token|key|secret|password/i.test(key) ? [node] : [];
  if (Array.isArray(node)) return node.flatMap((v) => secretValues(v, key));
  if (node && typeof node === 'object') return Object.entries(node).flatMap(([k, v]) => secretValues(v, k));
  return [];
}

/** A cron job whose payload runs a shell command on the gateway host (rather than an agent turn). */
function isShellJob(job: CronJob): boolean {
  return job.payload.kind === 'command';
}

/** The config path that enables each kind of component. */
const DISABLE_PATH: Record<ActionArgs<'openclawDisable'>['kind'], (name: string) => string> = {
  skill: (n) => `skills.entries.${n}.enabled`,
  plugin: (n) => `plugins.entries.${n}.enabled`,
  hook: (n) => `hooks.internal.entries.${n}.enabled`,
  mcp: (n) => `mcp.servers.${n}.enabled`,
  channel: (n) => `channels.${n}.enabled`,
};

/** The running gateway from its lock file, checked to be the live process it names. */
function gatewayProcess(g: OpenClawGateway): { pid: number; startTime: number } {
  const lock = readGatewayLock(g.stateDir);
  if (!lock)
    throw new StepError(
      'TargetNotFound',
      `${g.gateway}: no gateway.state.lock under ${join(g.stateDir, 'tmp')}: no gateway holds ${g.stateDir} (check stateDir)`,
    );
  if (lock.port !== g.port)
    throw new StepError('TargetNotFound', `${g.gateway}: the lock file names port ${lock.port}, the inventory ${g.port}: fix the inventory`);
  if (processGone(lock.pid, lock.startTime).holds)
    throw new StepError(
      'TargetNotFound',
      `${g.gateway}: the lock file names pid ${lock.pid} (start time ${lock.startTime}), which is not running: a stale lock`,
    );
  return { pid: lock.pid, startTime: lock.startTime };
}

export function openclawActivities(deps: ActivityDeps) {
  const openclawLockTools = defineStep(deps, 'openclawLockTools', {
    plan: plan(
      (g) =>
        `set tools.exec.mode=deny on ${g.gateway} (config.patch, hot-applied), then confirm ${g.gateway === '' ? '' : 'it '}by ${'probe' in g && g.probe ? 'a probe agent turn that asks for exec' : 'reading the persisted config back'}`,
    ),
    run: (io, args) =>
      withConnection(args, async (gw) => {
        const { changedPaths, undo } = await setConfig(io, gw, { 'tools.exec.mode': 'deny' });
        const proofs: Proof[] = [];
        if (args.probe) {
          const markerPath = join(incidentDir(deps.home, io.key.workflowId), `exec-probe-${safeName(io.key.stepId)}-${Date.now()}`);
          const { instruct } = args.probe;
          proofs.push(
            await execDeniedByProbe(gw, {
              markerPath,
              sessionKey: `${args.probe.sessionKey}-${Date.now()}`,
              instruct: (command) => instruct.replace('{command}', command),
            }),
          );
        } else {
          const mode = configValue(readConfigFile(args), 'tools.exec.mode');
          proofs.push({ holds: mode === 'deny', check: `tools.exec.mode in ${args.configPath} is deny`, observed: String(mode) });
        }
        requireProof(`the exec lockdown of ${args.gateway}`, proofs);
        return {
          summary: `exec denied on ${args.gateway}: ${proofs.map((p) => p.observed).join('; ')}`,
          data: { gateway: args.gateway, changedPaths, proof: proofs, undo: { action: 'openclawUndo', args: { ...gatewayArgs(args), patch: undo } } },
        };
      }),
  });

  const openclawFreezeAutomations = defineStep(deps, 'openclawFreezeAutomations', {
    plan: async (args) => {
      const shell = await withConnection(args, async (gw) => (await listCronJobs(gw)).filter(isShellJob));
      return [
        await identify(args),
        {
          kind: 'command',
          detail: `set cron.enabled=false, cron.skipMissedJobs=true, agents.defaults.heartbeat.every=0m on ${args.gateway}${shell.length ? `, disable the shell-payload cron job(s) ${shell.map((j) => `${j.name} (${j.id})`).join(', ')}` : ''}, then read cron.status, status and cron.list`,
        },
      ];
    },
    run: (io, args) =>
      withConnection(args, async (gw) => {
        const { changedPaths, undo } = await setConfig(io, gw, { 'cron.skipMissedJobs': true, 'cron.enabled': false, 'agents.defaults.heartbeat.every': '0m' });
        // The scheduler's and the heartbeat runner's live state, not the config we wrote.
        const deadline = Date.now() + 30_000;
        let proofs: Proof[];
        for (;;) {
          const cron = await cronStatus(gw);
          const beats = (await status(gw)).heartbeat?.agents ?? [];
          const beating = beats.filter((a) => a.enabled);
          proofs = [
            {
              holds: !cron.enabled && cron.nextWakeAtMs === null,
              check: 'cron.status says enabled:false, nextWakeAtMs:null',
              observed: `enabled ${cron.enabled}, nextWakeAtMs ${cron.nextWakeAtMs}`,
            },
            {
              holds: beating.length === 0,
              check: 'status reports no agent heartbeat enabled',
              observed: beating.length
                ? `beating: ${beating.map((a) => `${a.agentId} every ${a.every}`).join(', ')}`
                : `${beats.length} agent(s), none beating`,
            },
          ];
          if (proofs.every((p) => p.holds) || Date.now() > deadline) break;
          io.heartbeat();
          await new Promise((r) => setTimeout(r, 500));
        }
        // Shell-payload jobs (a persistence vector: `sh -c` on the gateway host) are also
        // disabled one by one, so they stay off when someone turns the scheduler back on.
        // Their ids are journalled first: a retry re-enables, on undo, what the incident found enabled.
        const recorded = io.pending?.record?.disabledJobs as string[] | undefined;
        const disabledJobs = recorded ?? (await listCronJobs(gw)).filter((j) => isShellJob(j) && j.enabled).map((j) => j.id);
        if (!recorded) io.markPending({ undo, disabledJobs });
        for (const id of disabledJobs) await setCronJobEnabled(gw, id, false);
        const jobs = await listCronJobs(gw);
        const stillOn = jobs.filter((j) => disabledJobs.includes(j.id) && j.enabled);
        if (disabledJobs.length)
          proofs.push({
            holds: stillOn.length === 0,
            check: `cron.list (disabled included) shows job(s) ${disabledJobs.join(', ')} disabled`,
            observed: stillOn.length ? `still enabled: ${stillOn.map((j) => j.id).join(', ')}` : `${disabledJobs.length} shell job(s) disabled`,
          });
        requireProof(`the automation freeze of ${args.gateway}`, proofs);
        return {
          summary: `automations frozen on ${args.gateway}: ${proofs.map((p) => p.observed).join('; ')}`,
          data: {
            gateway: args.gateway,
            changedPaths,
            cronJobs: jobs.length,
            disabledJobs,
            proof: proofs,
            undo: { action: 'openclawUndo', args: { ...gatewayArgs(args), patch: undo, enableCronJobs: disabledJobs } },
          },
        };
      }),
  });

  const openclawRotateToken = defineStep(deps, 'openclawRotateToken', {
    plan: plan(
      (g) => `write a new gateway.auth.token on ${g.gateway} (config.patch), then expect 401 for the old token and 200 for the new one on /tools/invoke`,
    ),
    run: async (io, args) => {
      if (args.tokenFrom.kind !== 'config')
        throw new StepError(
          'UnsafeActionRefused',
          `${args.gateway}: the token comes from ${args.tokenFrom.envFile}; rotate it there (rotateKey) and restart the gateway: this action rotates gateway.auth.token in the config`,
        );
      const current = readToken(args);
      // A retry after a worker died mid-step: when the config already holds the token this
      // step wrote (by its fingerprint, journalled before the write), the rotation happened:
      // rotating again would be a second effect. The old value is gone by then, so its
      // refusal cannot be re-tested; the proof is the new token's acceptance and the config.
      const earlier = io.pending?.record as { oldFingerprint: string; newFingerprint: string } | undefined;
      if (earlier && fingerprint(current) === earlier.newFingerprint) {
        const proofs = [
          await tokenAccepted(httpUrl(args), current),
          {
            holds: fingerprint(current) !== earlier.oldFingerprint,
            check: `gateway.auth.token in ${args.configPath} is no longer ${earlier.oldFingerprint}`,
            observed: `it is ${earlier.newFingerprint}, written by an earlier attempt of this step`,
          },
        ];
        requireProof(`the token rotation of ${args.gateway}`, proofs);
        return {
          summary: `gateway token of ${args.gateway} rotated (${earlier.oldFingerprint} → ${earlier.newFingerprint}) by an earlier attempt: new accepted`,
          data: { gateway: args.gateway, ...earlier, proof: proofs, undo: null },
        };
      }
      const old = current;
      const next = deps.randomBytes(24).toString('hex');
      io.markPending({ oldFingerprint: fingerprint(old), newFingerprint: fingerprint(next) });
      const rotated = await withConnection(args, (gw) => rotateGatewayToken(gw, next), old);
      const proofs = [await tokenRefused(httpUrl(args), old), await tokenAccepted(httpUrl(args), rotated.token)];
      requireProof(`the token rotation of ${args.gateway}`, proofs);
      return {
        summary: `gateway token of ${args.gateway} rotated (${fingerprint(old)} → ${rotated.fingerprint}): old refused, new accepted`,
        data: { gateway: args.gateway, oldFingerprint: fingerprint(old), newFingerprint: rotated.fingerprint, proof: proofs, undo: null },
      };
    },
  });

  const openclawCaptureEvidence = defineStep(deps, 'openclawCaptureEvidence', {
    plan: plan(
      (g) =>
        `copy ${g.configPath} (secrets redacted), its logs, the workspace files and online SQLite copies of ${join(g.stateDir, 'agents', '*', 'agent', 'openclaw-agent.sqlite')} into the evidence folder, with sessions and cron jobs over RPC`,
    ),
    run: async (io, args) => {
      const token = readToken(args);
      const config = readConfigFile(args);
      // The config's secrets, and every value this incident rotated away (found by fingerprint):
      // a leaked gateway token is no longer in the config, yet still in transcripts, logs and
      // the config's rolling backups.
      const known = { values: [token, ...secretValues(config)], fingerprints: rotatedFingerprints(io.journal, io.key.workflowId).all };
      let transcripts = 0;
      const result = await publishEvidence(deps, io, async (staging) => {
        const sources: SourceRecord[] = [];
        const missing: string[] = [];
        const put = (file: string, name: string, kind: string, text: string) => {
          const clean = redactText(text, known);
          writeCaptured(staging, file, clean.text);
          sources.push({ kind, name, file, ...(clean.redactions ? { redactions: clean.redactions } : {}) });
        };
        put('config/openclaw.json', args.configPath, 'config', readFileSync(args.configPath, 'utf8'));
        for (const bak of readdirSync(dirname(args.configPath)).filter((n) => /^openclaw\.json\.(bak|last-good)/.test(n)))
          put(`config/${bak}`, join(dirname(args.configPath), bak), 'config', readFileSync(join(dirname(args.configPath), bak), 'utf8'));
        const logFile = configValue(config, 'logging.file');
        if (typeof logFile === 'string' && existsSync(logFile)) put('logs/openclaw.log', logFile, 'log', readFileSync(logFile, 'utf8'));
        else missing.push(String(logFile ?? 'logging.file (not set)'));
        const ws = workspaceOf(args);
        for (const name of existsSync(ws) ? readdirSync(ws).filter((n) => n.endsWith('.md')) : [])
          put(`workspace/${name}`, join(ws, name), 'workspace', readFileSync(join(ws, name), 'utf8'));
        for (const file of memoryFiles(args).filter((f) => f.includes('/memory/')))
          put(`workspace/memory/${file.split('/').at(-1)}`, file, 'memory', readFileSync(file, 'utf8'));
        const agentsDir = join(args.stateDir, 'agents');
        for (const agent of existsSync(agentsDir) ? readdirSync(agentsDir) : []) {
          const db = join(agentsDir, agent, 'agent', 'openclaw-agent.sqlite');
          if (!existsSync(db)) continue;
          io.heartbeat({ transcripts: agent });
          mkdirSync(join(staging, 'databases'), { recursive: true, mode: 0o700 });
          // The SQLite copy holds what the config holds (auth profiles): it stays raw and private, like `files/` of captureEvidence.
          const copy = join(staging, 'databases', `${safeName(agent)}-openclaw-agent.sqlite`);
          const dump = await dumpTranscripts(deps, io, args, db, copy);
          if (!dump.ok) {
            missing.push(`${db} (${dump.error})`);
            continue;
          }
          transcripts += dump.text.split('\n').filter(Boolean).length;
          // The copy holds what the transcripts hold, word for word: a secret found in them
          // (a leaked token, pasted into a chat) is scrubbed out of the copy too.
          const found = findSecrets(dump.text, known);
          const leaked = [...new Map(found.map((f) => [dump.text.slice(f.start, f.end), `[redacted ${f.rule} ${f.fingerprint}]`])).entries()];
          if (leaked.length)
            await scrubDatabase(
              deps,
              io,
              args,
              copy,
              leaked.map(([value, marker]) => ({ value, marker })),
            );
          put(`transcripts/${safeName(agent)}.jsonl`, db, 'transcript', dump.text);
        }
        await withConnection(
          args,
          async (gw) => {
            put('rpc/sessions.json', 'sessions.list', 'rpc', JSON.stringify(await listSessions(gw), null, 2));
            put('rpc/cron.json', 'cron.list', 'rpc', JSON.stringify(await listCronJobs(gw), null, 2));
            put('rpc/status.json', 'status', 'rpc', JSON.stringify(await status(gw), null, 2));
          },
          token,
        );
        return { missing, commands: [], sources };
      });
      const folder = String(result.data?.folder);
      const bad = await verifyEvidence(folder);
      const proof: Proof = {
        holds: bad.length === 0,
        check: `every file in ${folder} matches manifest.json (SHA-256)`,
        observed: bad.length ? `differ: ${bad.join(', ')}` : 'all match',
      };
      requireProof('the evidence capture', [proof]);
      return {
        ...result,
        summary: `${result.summary} (${transcripts} transcript event(s))`,
        data: { ...result.data, transcriptEvents: transcripts, proof: [proof] },
      };
    },
  });

  const openclawQuarantineMemory = defineStep(deps, 'openclawQuarantineMemory', {
    plan: async (args) => [
      await identify(args),
      ...memoryFiles(args).map((f) => ({ kind: 'move' as const, detail: `move ${f} into the incident's quarantine` })),
    ],
    run: async (io, args) => {
      const folder = join(incidentDir(deps.home, io.key.workflowId), 'quarantine', safeName(io.key.stepId));
      // A retry finds the moves of an earlier attempt in the journal and finishes them.
      const planned = (io.pending?.record?.moves as { from: string; to: string; sha256: string }[] | undefined) ?? [];
      const moves = planned.length
        ? planned
        : await Promise.all(
            memoryFiles(args).map(async (from, i) => ({ from, to: join(folder, `${i}-${from.split('/').at(-1)}`), sha256: await sha256File(from) })),
          );
      if (!moves.length) throw new StepError('TargetNotFound', `${args.gateway}: no MEMORY.md or memory/*.md in ${workspaceOf(args)}: nothing to quarantine`);
      io.markPending({ moves });
      mkdirSync(folder, { recursive: true, mode: 0o700 });
      for (const m of moves) if (existsSync(m.from) && !existsSync(m.to)) renameSync(m.from, m.to);
      const proofs: Proof[] = [];
      for (const m of moves) {
        proofs.push(fileAbsent(m.from));
        const kept = existsSync(m.to) && (await sha256File(m.to)) === m.sha256;
        proofs.push({ holds: kept, check: `${m.to} holds the quarantined file (same SHA-256)`, observed: kept ? 'same' : 'missing or changed' });
      }
      requireProof(`the memory quarantine of ${args.gateway}`, proofs);
      writeFileSync(join(folder, 'manifest.json'), `${JSON.stringify(moves, null, 2)}\n`, { mode: 0o400, flag: 'w' });
      return {
        summary: `quarantined ${moves.length} memory file(s) of ${args.gateway} into ${folder}`,
        data: {
          gateway: args.gateway,
          folder,
          files: moves.map((m) => ({ from: m.from, sha256: m.sha256 })),
          proof: proofs,
          undo: { action: 'openclawUndo', args: { ...gatewayArgs(args), moves: moves.map((m) => ({ from: m.to, to: m.from })) } },
        },
      };
    },
  });

  const openclawSmoke = defineStep(deps, 'openclawSmoke', {
    plan: plan(
      (g) =>
        `check /readyz, the health RPC${(g as ActionArgs<'openclawSmoke'>).turn ? ', one agent turn' : ''}${(g as ActionArgs<'openclawSmoke'>).audit ? ' and `openclaw security audit --json` (0 critical)' : ''} on ${g.gateway}`,
    ),
    run: async (io, args) => {
      const proofs: Proof[] = [];
      const ready = await readiness(httpUrl(args));
      proofs.push({
        holds: ready.httpStatus === 200,
        check: `GET ${httpUrl(args)}/readyz answers 200`,
        observed: `${ready.httpStatus} ${ready.failing.join(', ')}`.trim(),
      });
      await withConnection(args, async (gw) => {
        const h = (await health(gw)) as { ok?: boolean; plugins?: { errors?: unknown[] } };
        const errors = h.plugins?.errors?.length ?? 0;
        proofs.push({
          holds: h.ok === true && errors === 0,
          check: 'the health RPC says ok with no plugin errors',
          observed: `ok ${h.ok}, ${errors} plugin error(s)`,
        });
        if (args.turn) {
          io.heartbeat({ smoke: 'agent turn' });
          const turn = await runAgentTurn(gw, {
            message: 'tourniquet smoke test: reply with one word',
            sessionKey: `agent:main:tourniquet-smoke-${io.key.stepId}`,
            timeoutMs: 90_000,
          });
          proofs.push({ holds: turn.status === 'ok', check: 'one agent turn completes', observed: `turn ${turn.status}` });
        }
      });
      if (args.audit) {
        io.heartbeat({ smoke: 'security audit' });
        const audit = await securityAudit(async (cliArgs) =>
          deps.run([args.node, args.openclawEntry, ...cliArgs], { signal: io.signal, timeoutMs: 180_000, env: cliEnv(args) }),
        );
        const critical = audit.findings.filter((f) => f.severity === 'critical').map((f) => f.checkId);
        proofs.push({
          holds: audit.summary.critical === 0,
          check: '`openclaw security audit --json` reports 0 critical',
          observed: critical.length ? `critical: ${critical.join(', ')}` : `0 critical, ${audit.summary.warn} warn`,
        });
      }
      requireProof(`the smoke test of ${args.gateway}`, proofs);
      return { summary: `${args.gateway} passes its smoke test: ${proofs.map((p) => p.observed).join('; ')}`, data: { gateway: args.gateway, proof: proofs } };
    },
  });

  const openclawPause = defineStep(deps, 'openclawPause', {
    plan: plan((g) => `suspend ${g.gateway} (gateway.suspend.prepare: no new work for ~2 min), then expect /readyz draining and /tools/invoke 503`),
    run: async (io, args) => {
      const token = readToken(args);
      const lease = await withConnection(
        args,
        async (gw) => {
          // Work in flight (a turn, a background review) makes the gateway answer busy: ask again while it drains.
          const deadline = Date.now() + 40_000;
          for (;;) {
            const answer = await suspendGateway(gw, `tourniquet-${io.key.workflowId}-${io.key.stepId}`);
            if (answer.status === 'ready' || Date.now() > deadline) return answer;
            io.heartbeat({ busy: answer.blockers?.length ?? 0 });
            await new Promise((r) => setTimeout(r, 1_000));
          }
        },
        token,
      );
      if (lease.status !== 'ready' || !lease.suspensionId)
        throw new StepError(
          'VerificationFailed',
          `${args.gateway} stayed busy and was not suspended (${JSON.stringify(lease.blockers ?? []).slice(0, 300)}): stop it instead (openclawStopGateway)`,
        );
      const ready = await readiness(httpUrl(args));
      const invoke = await toolsInvokeStatus(httpUrl(args), token);
      const proofs: Proof[] = [
        {
          holds: ready.failing.includes('gateway-draining'),
          check: 'GET /readyz reports gateway-draining',
          observed: `${ready.httpStatus} ${ready.failing.join(', ')}`,
        },
        { holds: invoke === 503, check: 'POST /tools/invoke answers 503', observed: `HTTP ${invoke}` },
      ];
      requireProof(`the suspension of ${args.gateway}`, proofs);
      return {
        summary: `${args.gateway} suspended until ${new Date(lease.expiresAtMs ?? 0).toISOString()} (a lease: it resumes by itself when it runs out)`,
        data: {
          gateway: args.gateway,
          suspensionId: lease.suspensionId,
          expiresAtMs: lease.expiresAtMs,
          proof: proofs,
          undo: { action: 'openclawUndo', args: { ...gatewayArgs(args), resume: lease.suspensionId } },
        },
      };
    },
  });

  const openclawStopGateway = defineStep(deps, 'openclawStopGateway', {
    plan: async (args) => {
      const lock = gatewayProcess(args);
      return [await identify(args), { kind: 'signal', detail: `SIGTERM pid ${lock.pid} (start time ${lock.startTime}), SIGKILL after ${args.graceMs} ms` }];
    },
    run: async (io, args) => {
      // The pid and start time found first: a retry after the gateway already went finds no lock file.
      const recorded = io.pending?.record as { pid: number; startTime: number } | undefined;
      const target = recorded ?? gatewayProcess(args);
      if (!recorded) io.markPending({ pid: target.pid, startTime: target.startTime });
      if (!processGone(target.pid, target.startTime).holds) {
        process.kill(target.pid, 'SIGTERM');
        const deadline = Date.now() + args.graceMs;
        while (!processGone(target.pid, target.startTime).holds && Date.now() < deadline) {
          io.heartbeat();
          await new Promise((r) => setTimeout(r, 200));
        }
        if (!processGone(target.pid, target.startTime).holds) process.kill(target.pid, 'SIGKILL');
        await new Promise((r) => setTimeout(r, 500));
      }
      const proofs = [processGone(target.pid, target.startTime), await portClosed(args.port)];
      requireProof(`the stop of ${args.gateway}`, proofs);
      return {
        summary: `${args.gateway} stopped: ${proofs.map((p) => p.observed).join('; ')}`,
        data: { gateway: args.gateway, pid: target.pid, proof: proofs },
      };
    },
  });

  const openclawDisable = defineStep(deps, 'openclawDisable', {
    plan: plan((g) => {
      const a = g as ActionArgs<'openclawDisable'>;
      return `disable the ${a.kind} ${a.name} of ${g.gateway} (${DISABLE_PATH[a.kind](a.name)}=false, hot-applied)`;
    }),
    run: (io, args) =>
      withConnection(args, async (gw) => {
        const path = DISABLE_PATH[args.kind](args.name);
        if ((args.kind === 'mcp' || args.kind === 'channel') && configValue((await getConfig(gw)).config, path.replace(/\.enabled$/, '')) === undefined)
          throw new StepError('TargetNotFound', `${args.gateway} has no ${args.kind} "${args.name}" (${path.replace(/\.enabled$/, '')} is not in its config)`);
        const { changedPaths, undo } = await setConfig(io, gw, { [path]: false });
        // What the gateway persisted, read from its file.
        const persisted = configValue(readConfigFile(args), path);
        const proofs: Proof[] = [{ holds: persisted === false, check: `${path} is false in ${args.configPath}`, observed: String(persisted) }];
        // And what the running gateway reports (not `health`'s plugins.loaded: a cached
        // snapshot that still listed a disabled plugin 20 s later in 2026.9.6). The change
        // hot-applies within a few seconds: ask again until it shows.
        const deadline = Date.now() + 30_000;
        let live = await componentDisabled(gw, args.kind, args.name);
        while (live && !live.holds && Date.now() < deadline) {
          io.heartbeat();
          await new Promise((r) => setTimeout(r, 1_000));
          live = await componentDisabled(gw, args.kind, args.name);
        }
        if (live) proofs.push(live);
        requireProof(`disabling ${args.kind} ${args.name} on ${args.gateway}`, proofs);
        return {
          summary: `${args.kind} ${args.name} of ${args.gateway} disabled`,
          data: { gateway: args.gateway, changedPaths, proof: proofs, undo: { action: 'openclawUndo', args: { ...gatewayArgs(args), patch: undo } } },
        };
      }),
  });

  const openclawUndo = defineStep(deps, 'openclawUndo', {
    plan: async (args) => [
      await identify(args),
      ...(args.patch ? [{ kind: 'command' as const, detail: `config.patch ${JSON.stringify(args.patch)} on ${args.gateway}` }] : []),
      ...args.moves.map((m) => ({ kind: 'move' as const, detail: `move ${m.from} back to ${m.to}` })),
      ...args.enableCronJobs.map((id) => ({ kind: 'command' as const, detail: `cron.update ${id} enabled=true on ${args.gateway}` })),
    ],
    run: async (_io, args) => {
      const done: string[] = [];
      if (args.resume) {
        const resume = args.resume;
        await withConnection(args, (gw) => resumeGateway(gw, resume));
        done.push('resumed');
      }
      if (args.patch) {
        const patch = args.patch;
        const { changedPaths } = await withConnection(args, (gw) => patchConfig(gw, patch));
        done.push(`config restored (${changedPaths.join(', ') || 'already as it was'})`);
      }
      if (args.enableCronJobs.length) {
        await withConnection(args, async (gw) => {
          for (const id of args.enableCronJobs) await setCronJobEnabled(gw, id, true);
        });
        done.push(`cron job(s) ${args.enableCronJobs.join(', ')} enabled again`);
      }
      for (const m of args.moves) {
        if (existsSync(m.to)) throw new StepError('UnsafeActionRefused', `${m.to} exists again: compare it with ${m.from} and put one back by hand`);
        if (!existsSync(m.from)) throw new StepError('TargetNotFound', `${m.from} is gone: nothing to put back at ${m.to}`);
        renameSync(m.from, m.to);
        done.push(`${m.to} put back`);
      }
      return { summary: `${args.gateway}: ${done.join('; ') || 'nothing to undo'}`, data: { gateway: args.gateway, undo: null } };
    },
  });

  return {
    openclawPause,
    openclawStopGateway,
    openclawDisable,
    openclawLockTools,
    openclawFreezeAutomations,
    openclawRotateToken,
    openclawCaptureEvidence,
    openclawQuarantineMemory,
    openclawSmoke,
    openclawUndo,
  };
}
