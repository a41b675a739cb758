/**
 * Read an installed OpenClaw gateway's state dir and config, and describe what an incident
 * may need to act on: the gateway (where its state, config, port and token live), the
 * credentials it holds, its skills, plugins, hooks, MCP servers, channels and cron jobs, and
 * the paths of its workspace, memory, logs and databases.
 *
 * Read-only, and no secret value leaves this module: a credential is reported by where it
 * lives (config path, file, env var name) and a SHA-256 fingerprint.
 *
 * Cron jobs live in SQLite (`<state>/state/openclaw.sqlite`, table `cron_jobs`) and this
 * project's Node 20 has no `node:sqlite`: pass `sqliteNode`, a Node ≥ 22.5 binary (the one
 * that runs the gateway will do), to read them; otherwise `cronJobs` is undefined and
 * `notes` says why.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import JSON5 from 'json5';

export interface DiscoverOptions {
  /** Default: $OPENCLAW_STATE_DIR, else $OPENCLAW_HOME/.openclaw, else ~/.openclaw. */
  stateDir?: string;
  /** Default: $OPENCLAW_CONFIG_PATH, else <stateDir>/openclaw.json. */
  configPath?: string;
  /** A Node with `node:sqlite` (≥ 22.5), to read cron jobs from the state database. */
  sqliteNode?: string;
  env?: NodeJS.ProcessEnv;
}

/** Where a secret lives, never its value. */
export type SecretLocation =
  | { source: 'config'; file: string; path: string; fingerprint: string }
  | { source: 'secretRef'; file: string; path: string; ref: Record<string, unknown> }
  | { source: 'env'; name: string; fingerprint: string }
  | { source: 'env-file'; file: string; name: string }
  | { source: 'file'; file: string };

export interface OpenClawDiscovery {
  gateway: {
    stateDir: string;
    configPath: string;
    port: number;
    bind: string;
    authMode: string;
    /** How to reach the gateway token without copying it. */
    token: SecretLocation | { source: 'none' };
    logFile: string | undefined;
    /** The running gateway, from its lock file (pid + /proc start time), when one holds the state dir. */
    running: { pid: number; startTime: number; port: number } | undefined;
  };
  credentials: (SecretLocation & { name: string })[];
  skills: { key: string; location: 'workspace' | 'managed' | 'config'; path?: string; enabled: boolean }[];
  plugins: { id: string; enabled: boolean }[];
  hooks: { name: string; enabled: boolean }[];
  mcpServers: { name: string; command: string | undefined; args: string[]; enabled: boolean }[];
  channels: { id: string; enabled: boolean; credentialPaths: string[] }[];
  cronJobs:
    | {
        id: string;
        name: string;
        enabled: boolean;
        payloadKind: string;
        command: string[] | undefined;
        declarationKey: string | undefined;
        schedule: unknown;
      }[]
    | undefined;
  paths: { workspace: string; memory: string[]; logs: string[]; databases: string[] };
  /** What could not be read, and how to get it. */
  notes: string[];
}

const SECRET_KEY = /(token|apikey|api_key|password|secret|privatekey|private_key|clientsecret)$/i;

export async function discoverOpenClaw(options: DiscoverOptions = {}): Promise<OpenClawDiscovery> {
  const env = options.env ?? process.env;
  const stateDir = options.stateDir ?? env.OPENCLAW_STATE_DIR ?? join(env.OPENCLAW_HOME ?? homedir(), '.openclaw');
  const configPath = options.configPath ?? env.OPENCLAW_CONFIG_PATH ?? join(stateDir, 'openclaw.json');
  if (!existsSync(configPath)) {
    throw new Error(`no OpenClaw config at ${configPath}: pass the gateway's state dir (OPENCLAW_STATE_DIR, default ~/.openclaw) or its config path`);
  }
  let config: Record<string, unknown>;
  try {
    config = JSON5.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`${configPath} is not valid JSON5 (${(error as Error).message}): fix it or run \`openclaw doctor --lint\``);
  }
  const notes: string[] = [];
  const get = (path: string) => valueAt(config, path);
  const record = (path: string) => asRecord(get(path));

  // Gateway
  const auth = record('gateway.auth');
  const rawToken = auth.token;
  const token: OpenClawDiscovery['gateway']['token'] =
    typeof rawToken === 'string' && rawToken
      ? { source: 'config', file: configPath, path: 'gateway.auth.token', fingerprint: fingerprint(rawToken) }
      : rawToken && typeof rawToken === 'object'
        ? { source: 'secretRef', file: configPath, path: 'gateway.auth.token', ref: rawToken as Record<string, unknown> }
        : env.OPENCLAW_GATEWAY_TOKEN
          ? { source: 'env', name: 'OPENCLAW_GATEWAY_TOKEN', fingerprint: fingerprint(env.OPENCLAW_GATEWAY_TOKEN) }
          : { source: 'none' };
  const lock = readLock(stateDir);
  const logFile = typeof get('logging.file') === 'string' ? (get('logging.file') as string) : undefined;

  // Credentials: every secret-looking config field, the state dir's .env, credentials/ files.
  const credentials: OpenClawDiscovery['credentials'] = [];
  walk(config, [], (path, value) => {
    const key = path.at(-1) ?? '';
    if (!SECRET_KEY.test(key)) return false;
    const dotted = path.join('.');
    if (typeof value === 'string' && value)
      credentials.push({ name: dotted, source: 'config', file: configPath, path: dotted, fingerprint: fingerprint(value) });
    else if (value && typeof value === 'object')
      credentials.push({ name: dotted, source: 'secretRef', file: configPath, path: dotted, ref: value as Record<string, unknown> });
    return true;
  });
  const envFile = join(stateDir, '.env');
  if (existsSync(envFile)) {
    for (const line of readFileSync(envFile, 'utf8').split('\n')) {
      const name = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line)?.[1];
      if (name) credentials.push({ source: 'env-file', file: envFile, name });
    }
  }
  for (const file of filesUnder(join(stateDir, 'credentials'), 3)) credentials.push({ name: file.slice(stateDir.length + 1), source: 'file', file });
  const secretsFile = join(stateDir, 'secrets.json');
  if (existsSync(secretsFile)) credentials.push({ name: 'secrets.json', source: 'file', file: secretsFile });

  // Skills: workspace and managed folders, plus config entries (which may disable bundled ones).
  const workspace = typeof get('agents.defaults.workspace') === 'string' ? (get('agents.defaults.workspace') as string) : join(stateDir, 'workspace');
  const skillEntries = record('skills.entries');
  const skillEnabled = (key: string) => asRecord(skillEntries[key]).enabled !== false;
  const skills: OpenClawDiscovery['skills'] = [];
  for (const [location, dir] of [
    ['workspace', join(workspace, 'skills')],
    ['managed', join(stateDir, 'skills')],
  ] as const) {
    for (const name of subdirs(dir)) {
      const path = join(dir, name, 'SKILL.md');
      if (existsSync(path)) skills.push({ key: name, location, path, enabled: skillEnabled(name) });
    }
  }
  for (const key of Object.keys(skillEntries)) if (!skills.some((s) => s.key === key)) skills.push({ key, location: 'config', enabled: skillEnabled(key) });

  const plugins = Object.entries(record('plugins.entries')).map(([id, entry]) => ({ id, enabled: asRecord(entry).enabled !== false }));
  const hooks = Object.entries(record('hooks.internal.entries')).map(([name, entry]) => ({ name, enabled: asRecord(entry).enabled !== false }));
  const mcpServers = Object.entries(record('mcp.servers')).map(([name, entry]) => {
    const server = asRecord(entry);
    return {
      name,
      command: typeof server.command === 'string' ? server.command : undefined,
      args: Array.isArray(server.args) ? server.args.map(String) : [],
      enabled: server.enabled !== false,
    };
  });
  const channels = Object.entries(record('channels'))
    .filter(([, entry]) => entry && typeof entry === 'object')
    .map(([id, entry]) => {
      const credentialPaths: string[] = [];
      walk(entry, ['channels', id], (path) => {
        if (!SECRET_KEY.test(path.at(-1) ?? '') && !/tokenFile$/i.test(path.at(-1) ?? '')) return false;
        credentialPaths.push(path.join('.'));
        return true;
      });
      return { id, enabled: asRecord(entry).enabled !== false, credentialPaths };
    });

  // Cron jobs, from SQLite.
  const stateDb = join(stateDir, 'state', 'openclaw.sqlite');
  let cronJobs: OpenClawDiscovery['cronJobs'];
  if (!existsSync(stateDb)) notes.push(`no state database at ${stateDb}: the gateway has never run with this state dir, so it has no cron jobs yet`);
  else if (!options.sqliteNode)
    notes.push(`cron jobs are in ${stateDb} (table cron_jobs): pass a Node ≥ 22.5 (sqliteNode) to read them, or list them over RPC (cron.list)`);
  else cronJobs = await readCronJobs(options.sqliteNode, stateDb, notes);

  const memory = [join(workspace, 'MEMORY.md'), ...filesUnder(join(workspace, 'memory'), 1).filter((f) => f.endsWith('.md'))].filter((f) => existsSync(f));
  const databases = [stateDb, ...subdirs(join(stateDir, 'agents')).map((agent) => join(stateDir, 'agents', agent, 'agent', 'openclaw-agent.sqlite'))].filter(
    (f) => existsSync(f),
  );
  const logs = [...(logFile ? [logFile] : []), ...filesUnder(join(stateDir, 'logs'), 2)].filter((f, i, all) => existsSync(f) && all.indexOf(f) === i);

  return {
    gateway: {
      stateDir,
      configPath,
      port: Number(get('gateway.port') ?? env.OPENCLAW_GATEWAY_PORT ?? 18789),
      bind: String(get('gateway.bind') ?? 'loopback'),
      authMode: String(auth.mode ?? (rawToken ? 'token' : 'none')),
      token,
      logFile,
      running: lock,
    },
    credentials,
    skills,
    plugins,
    hooks,
    mcpServers,
    channels,
    cronJobs,
    paths: { workspace, memory, logs, databases },
    notes,
  };
}

async function readCronJobs(node: string, db: string, notes: string[]): Promise<OpenClawDiscovery['cronJobs']> {
  // Read-only, through SQLite itself: never a plain copy of a WAL database.
  const script = `
    const { DatabaseSync } = require('node:sqlite');
    const db = new DatabaseSync(process.argv[1], { readOnly: true });
    const rows = db.prepare('SELECT job_id, name, enabled, payload_kind, job_json FROM cron_jobs').all();
    process.stdout.write(JSON.stringify(rows));`;
  const result = await execa(node, ['-e', script, db], { reject: false, timeout: 30_000 });
  if (result.exitCode !== 0) {
    notes.push(`could not read cron_jobs from ${db} with ${node}: ${String(result.stderr).trim().split('\n').at(-1)}`);
    return undefined;
  }
  const rows = JSON.parse(String(result.stdout)) as { job_id: string; name: string; enabled: number; payload_kind: string; job_json: string }[];
  return rows.map((row) => {
    const job = asRecord(safeJson(row.job_json));
    const payload = asRecord(job.payload);
    return {
      id: row.job_id,
      name: row.name,
      enabled: Boolean(row.enabled),
      payloadKind: row.payload_kind,
      command: Array.isArray(payload.argv) ? payload.argv.map(String) : undefined,
      declarationKey: typeof job.declarationKey === 'string' ? job.declarationKey : undefined,
      schedule: job.schedule,
    };
  });
}

function readLock(stateDir: string): OpenClawDiscovery['gateway']['running'] {
  const path = join(stateDir, 'tmp', `openclaw-${process.getuid?.() ?? 0}`, 'gateway.state.lock');
  if (!existsSync(path)) return undefined;
  const lock = asRecord(safeJson(readFileSync(path, 'utf8')));
  return typeof lock.pid === 'number' ? { pid: lock.pid, startTime: Number(lock.startTime), port: Number(lock.port) } : undefined;
}

/** Visit every value; `visit` returns true to stop descending. */
function walk(node: unknown, path: string[], visit: (path: string[], value: unknown) => boolean): void {
  if (path.length && visit(path, node)) return;
  if (node && typeof node === 'object' && !Array.isArray(node)) for (const [key, value] of Object.entries(node)) walk(value, [...path, key], visit);
}

function valueAt(node: unknown, path: string): unknown {
  for (const key of path.split('.')) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch {
    return [];
  }
}

function filesUnder(dir: string, depth: number): string[] {
  if (depth < 0 || !existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path, depth - 1));
    else out.push(path);
  }
  return out;
}

function fingerprint(secret: string): string {
  return `sha256:${createHash('sha256').update(secret).digest('hex').slice(0, 12)}`;
}
