/**
 * The actions a step may name, with the zod schema of each action's arguments.
 *
 * Pure module: imported by the workflow (inside Temporal's sandbox), by the activities
 * (which parse their arguments again, because an activity is also an edge) and by the CLI.
 *
 * Compatibility: incidents already written (and histories already recorded) use the first
 * shapes of these actions. Where an action grew a `manager`, `method` or `kind`, its absence
 * means the first behaviour, and the old fields still parse (see `upgrade` below).
 */
import { z } from 'zod';
import { CONTROL_KIND_RULE, CONTROL_KINDS, type ActionName, type ControlKind } from './catalogue';
import { NAME_PATTERN } from './grammar';

const path = z.string().min(1, 'must be a non-empty path');
const argv = z.array(z.string()).min(1, 'must name a program: ["program", "arg", ...]');
const envKey = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an env variable name');
/** Names handed to a command as one argument: never starting with `-`, so never read as an option. */
const name = (what: string) => z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.:@+=-]*$/, `must be a ${what} (letters, digits, _ . : @ + = -; not starting with -)`);
/** A point in time: ISO-8601, or an age before the step runs such as "2h", "30m", "1d". */
const when = z.string().regex(/^(\d+(ms|s|m|h|d)|\d{4}-\d\d-\d\d([T ][\d:.]+(Z|[+-]\d\d:?\d\d)?)?)$/, 'must be ISO-8601 or an age such as "2h"');

/** Where a secret is read from: one key of an env file. Only its fingerprint ever leaves. */
export const envRef = z.object({ envFile: path, key: envKey });

/** A command whose output is captured: argv only, never a shell string. */
export const commandSpec = z.object({
  /** File name inside the evidence folder, e.g. `git-status.txt`. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be a plain file name (letters, digits, . _ -)'),
  argv,
  cwd: path.optional(),
});

/** An absolute path: a relative one would be read from the worker's working directory. */
const absolute = (what: string) =>
  z
    .string()
    .min(1, `must be the absolute path of the ${what}`)
    .regex(/^\//, `must be an absolute path: a relative ${what} is looked up from the worker's working directory, not the service's`);

/**
 * How to tell whether a service is up without asking its manager: the independent check
 * behind every "stopped" and "was not running". One of
 * - `{port, host?}`: a TCP connect (host defaults to 127.0.0.1);
 * - `{url}`: an HTTP GET that gets any answer at all;
 * - `{processMatch}`: a regular expression some process's command line matches.
 */
export const livenessProbe = z.union([
  z.strictObject({ port: z.number().int().min(1).max(65535), host: z.string().min(1).optional() }),
  z.strictObject({ url: z.url({ protocol: /^https?$/ }) }),
  z.strictObject({
    processMatch: z
      .string()
      .min(1)
      .refine((re) => {
        try {
          new RegExp(re);
          return true;
        } catch {
          return false;
        }
      }, 'must be a valid regular expression matched against the command line'),
  }),
]);
export type LivenessProbe = z.infer<typeof livenessProbe>;

/** Fields every manager carries: the service's liveness probe (optional in older incidents). */
const probed = { probe: livenessProbe.optional() };

/**
 * How a service is run, so it can be stopped, started and asked for its state. The playbook
 * and inventory compiler produces exactly these shapes. `probe` (any manager) is the check of
 * the world that confirms "stopped" and "was not running".
 */
export const serviceManager = z.discriminatedUnion('kind', [
  /**
   * A local process: pidfile, its process group, /proc. `command` (argv), `cwd`, `envFile`
   * and `logFile` say how it runs, so a restart starts it the same way (its own session, the
   * env file's variables, appending to its log). Without `command`, a restart reuses the
   * command line recorded when the incident stopped it (the first shape).
   */
  z.object({
    kind: z.literal('process'),
    pidfile: absolute('pidfile'),
    command: argv.optional(),
    cwd: absolute('cwd').optional(),
    envFile: absolute('envFile').optional(),
    logFile: absolute('logFile').optional(),
    ...probed,
  }),
  /** A supervisord program, through `supervisorctl` (`-s serverUrl`, `-c configFile`). */
  z.object({
    kind: z.literal('supervisord'),
    program: name('program name'),
    serverUrl: z.string().min(1).optional(),
    configFile: path.optional(),
    ...probed,
  }),
  /** A systemd unit; a `.timer` unit is disabled and stopped (`disable --now`), and re-enabled on start. */
  z.object({
    kind: z.literal('systemd'),
    unit: z
      .string()
      .regex(/^[A-Za-z0-9_][A-Za-z0-9_.:@\\-]*\.(service|timer|socket|path|target|mount)$/, 'must be a unit name such as "agent.service" or "sync.timer"'),
    scope: z.enum(['system', 'user']).default('system'),
    ...probed,
  }),
  /** A Docker container: `docker stop`, never `docker rm` (the container is evidence). */
  z.object({ kind: z.literal('docker'), container: name('container name or id'), ...probed }),
]);
export type ServiceManager = z.infer<typeof serviceManager>;

/** A service as steps name it: a label for notes and records, and how it is managed. */
export const serviceRef = z.object({ service: z.string().min(1), manager: serviceManager });

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parse `schema`, first rewriting an older shape of the same action (typed as `Legacy`) into it. */
function upgrade<S extends z.ZodType, Legacy>(schema: S, rewrite: (v: Record<string, unknown>) => Record<string, unknown>) {
  return z.preprocess((v: z.input<S> | Legacy) => (isRecord(v) ? rewrite(v) : v), schema);
}

/** One variant of a union, written without its discriminator (which then takes its default). */
type Defaulted<U extends z.ZodType, K extends string, V extends string> = Omit<Extract<z.input<U>, Record<K, V>>, K>;

/** `{service, pidfile}` (the first shape) means the process manager. */
function processByDefault(v: Record<string, unknown>): Record<string, unknown> {
  if (v.manager !== undefined || v.pidfile === undefined) return v;
  const { pidfile, ...rest } = v;
  return { ...rest, manager: { kind: 'process', pidfile } };
}
type LegacyService = { service: string; pidfile: string };

const stopArgs = z.object({
  ...serviceRef.shape,
  /** How long a stop may take before it is forced (process: SIGKILL; docker: `--time`). */
  graceMs: z.number().int().min(0).max(600_000).default(5_000),
});
const startArgs = z.object({
  ...serviceRef.shape,
  /** Milliseconds the service must stay up before the start counts as good. */
  settleMs: z.number().int().min(0).max(60_000).default(500),
});

const logExcerpt = z.object({ path, since: when.optional(), until: when.optional() });
const journalExcerpt = z.object({
  unit: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.:@\\-]*$/, 'must be a unit name'),
  scope: z.enum(['system', 'user']).default('system'),
  since: when.default('2h'),
  until: when.optional(),
});

const captureArgs = z.object({
  /** Files and folders copied raw with `cp -a` (they stay private inside the evidence folder). */
  files: z.array(path).default([]),
  commands: z.array(commandSpec).default([]),
  /** Each service's status through its manager. */
  services: z.array(serviceRef).default([]),
  /** journald excerpts of these units for a time window. */
  journal: z.array(journalExcerpt).default([]),
  /** Lines of these log files inside a time window (whole files when no window is given). */
  logs: z.array(logExcerpt).default([]),
  /** `git status` and `git diff` of these repositories. */
  repos: z.array(path).default([]),
  /** `docker inspect` and `docker logs` of these containers. */
  containers: z.array(name('container name or id')).default([]),
  /** Env files whose values are redacted wherever they appear in captured output. */
  redactEnvFiles: z.array(path).default([]),
});

const snapshotVariants = z.discriminatedUnion('method', [
  /** Archive a directory (tar + zstd, or gzip; `auto`: zstd where it is installed) into the incident's snapshot folder. */
  z.object({ method: z.literal('archive'), target: path, compression: z.enum(['auto', 'zstd', 'gzip']).default('auto') }),
  /** A read-only btrfs snapshot of a subvolume, next to it (or under `destination`). */
  z.object({ method: z.literal('btrfs'), target: path, destination: path.optional() }),
  /** An LVM snapshot volume of `volume` ("vg/lv"); `target` is where it is mounted. */
  z.object({
    method: z.literal('lvm'),
    volume: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.+-]*\/[A-Za-z0-9_][A-Za-z0-9_.+-]*$/, 'must be "vg/lv"'),
    size: z
      .string()
      .regex(/^\d+(\.\d+)?[KMGTkmgt%]?[A-Za-z]*$/)
      .default('1G'),
    target: path.optional(),
  }),
  /** A ZFS snapshot of `dataset`; `target` is where it is mounted. */
  z.object({
    method: z.literal('zfs'),
    dataset: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.:/-]*$/, 'must be a dataset such as "tank/agent"'),
    target: path.optional(),
  }),
  /**
   * A command hook (a cloud CLI): `{snapshotName}` in argv is replaced by a name unique to
   * this step; the snapshot id is the first match of `idPattern` (group 1, else the whole
   * match) in its output, or the name.
   */
  z.object({ method: z.literal('command'), argv, idPattern: z.string().optional(), target: path.optional() }),
]);
const snapshotArgs = upgrade<typeof snapshotVariants, Defaulted<typeof snapshotVariants, 'method', 'archive'>>(snapshotVariants, (v) =>
  v.method === undefined ? { ...v, method: 'archive' } : v,
);

const restoreVariants = z.discriminatedUnion('method', [
  /** A tar archive (gzip, zstd, xz or none: tar detects it); `sha256` checks the archive first. */
  z.object({
    method: z.literal('archive'),
    target: path,
    archive: path,
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
  }),
  /** A restic snapshot; `path` is the folder inside the snapshot (default: `target`). */
  z.object({
    method: z.literal('restic'),
    target: path,
    repository: z.string().min(1),
    passwordFile: path,
    snapshot: z
      .string()
      .regex(/^(latest|[0-9a-f]{8,64})$/, 'must be "latest" or a snapshot id')
      .default('latest'),
    path: path.optional(),
  }),
  /** A copy of another folder (`cp -a`), e.g. a btrfs snapshot or a tree an earlier restore moved aside. */
  z.object({ method: z.literal('copy'), target: path, source: path }),
]);
const restoreArgs = upgrade<typeof restoreVariants, Defaulted<typeof restoreVariants, 'method', 'archive'>>(restoreVariants, (v) =>
  v.method === undefined ? { ...v, method: 'archive' } : v,
);

/**
 * An independent check of a rotation: `url` is asked with the old value (it must answer one of
 * `refusedStatus`) and with the new one (one of `acceptedStatus`), sent as `Authorization:
 * Bearer …` or in the header named by `header`. Without it a rotation says plainly that
 * nothing outside the env files confirmed the old value is dead.
 */
export const credentialCheck = z.object({
  url: z.url({ protocol: /^https?$/ }),
  header: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name such as "X-Api-Key"')
    .optional(),
  refusedStatus: z.array(z.number().int().min(100).max(599)).min(1).default([401, 403]),
  acceptedStatus: z.array(z.number().int().min(100).max(599)).default([200, 204]),
  /** How long the service may take to take up the new value (a restart) before the check fails. */
  waitMs: z.number().int().min(0).max(300_000).default(15_000),
});
export type CredentialCheck = z.infer<typeof credentialCheck>;

const rotateVariants = z.discriminatedUnion('method', [
  /** A new random value of the same shape in every listed env file; then restart `restart`. */
  z
    .object({
      method: z.literal('env-file'),
      key: envKey,
      envFile: path.optional(),
      envFiles: z.array(path).default([]),
      restart: z.array(serviceRef).default([]),
      check: credentialCheck.optional(),
    })
    .refine((v) => v.envFile !== undefined || v.envFiles.length > 0, {
      message: 'name the env file(s) holding the key: envFile or envFiles',
      path: ['envFiles'],
    }),
  /**
   * A provider CLI makes the new secret and prints it (the first match of `outputPattern`,
   * group 1, else its whole trimmed output); it is written into the env files like above.
   */
  z.object({
    method: z.literal('command'),
    argv,
    key: envKey,
    envFile: path.optional(),
    envFiles: z.array(path).default([]),
    outputPattern: z.string().optional(),
    restart: z.array(serviceRef).default([]),
    check: credentialCheck.optional(),
  }),
  /** Revoke a credential at its provider: the value of `credential` sent to `url`. */
  z.object({
    method: z.literal('http-revoke'),
    url: z.url({ protocol: /^https?$/ }),
    credential: envRef,
    /** How the credential is sent: `{"token": …}`, `token=…` form body, or `Authorization: Bearer …`. */
    send: z.enum(['json', 'form', 'bearer']).default('json'),
    /** Bearer token for the revoke API itself, when it needs one. */
    auth: envRef.optional(),
    expectStatus: z.array(z.number().int().min(100).max(599)).default([200, 201, 202, 204]),
    timeoutMs: z.number().int().min(1).max(120_000).default(10_000),
    check: credentialCheck.optional(),
  }),
]);
const rotateArgs = upgrade<typeof rotateVariants, Defaulted<typeof rotateVariants, 'method', 'env-file'>>(rotateVariants, (v) =>
  v.method === undefined ? { ...v, method: 'env-file' } : v,
);

const smokeVariants = z.discriminatedUnion('kind', [
  /** One GET (redirects not followed): status, optional body pattern and latency bound. */
  z.object({
    kind: z.literal('http'),
    url: z.url({ protocol: /^https?$/ }),
    expectStatus: z.number().int().min(100).max(599).default(200),
    bodyPattern: z.string().optional(),
    maxLatencyMs: z.number().int().min(1).optional(),
    timeoutMs: z.number().int().min(1).max(120_000).default(5_000),
  }),
  /** A read-only command: exit code and optional output pattern (stdout and stderr). */
  z.object({
    kind: z.literal('command'),
    argv,
    cwd: path.optional(),
    expectExitCode: z.number().int().default(0),
    outputPattern: z.string().optional(),
    timeoutMs: z.number().int().min(1).max(600_000).default(30_000),
  }),
]);
const smokeArgs = upgrade<typeof smokeVariants, Defaulted<typeof smokeVariants, 'kind', 'http'>>(smokeVariants, (v) =>
  v.kind === undefined ? { ...v, kind: 'http' } : v,
);

/** What a network lockdown cuts: the whole host, or one service user's traffic. */
const lockScope = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('host') }),
  /** Outbound traffic of sockets owned by this uid, and inbound traffic to `ports`. */
  z.object({ kind: z.literal('service'), uid: z.number().int().min(0).optional(), ports: z.array(z.number().int().min(1).max(65535)).default([]) }),
]);
const address = z.string().regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, 'must be an IPv4 or IPv6 address or prefix');

/**
 * An OpenClaw gateway as its actions name it: where its state and config live, the port it
 * listens on (loopback), how its shared token is reached at run time (never copied into a
 * step), and the Node 24 + openclaw.mjs that run its CLI.
 */
export const openclawGateway = z.object({
  /** The inventory name, for notes and records. */
  gateway: z.string().min(1),
  stateDir: path,
  configPath: path,
  port: z.number().int().min(1).max(65535),
  /** `config`: `gateway.auth.token` in the config file; `env-file`: one key of an env file. */
  tokenFrom: z.discriminatedUnion('kind', [z.object({ kind: z.literal('config') }), z.object({ kind: z.literal('env-file'), envFile: path, key: envKey })]),
  /** A Node ≥ 24 binary and `openclaw.mjs`, for the CLI-only checks (security audit) and SQLite reads. */
  node: path,
  openclawEntry: path,
});
export type OpenClawGateway = z.infer<typeof openclawGateway>;

/**
 * A live exec probe: one agent turn asked to write a marker through the exec tool. `instruct`
 * is the message, with `{command}` replaced by the shell command (the model at hand must obey
 * it: a test model, or a canary agent). Without a probe, the lock is confirmed by the config
 * the gateway persisted.
 */
const execProbe = z.object({
  instruct: z.string().includes('{command}', { message: 'must contain {command}' }),
  sessionKey: z.string().min(1).default('agent:main:tourniquet-probe'),
});

export const actionArgs = {
  /** Freeze a service through its manager; records its prior state for the restart. */
  stopService: upgrade<typeof stopArgs, LegacyService & { graceMs?: number }>(stopArgs, processByDefault),
  /** Start a service again as this incident found it. */
  startService: upgrade<typeof startArgs, LegacyService & { settleMs?: number }>(startArgs, processByDefault),
  /** Copy files, logs, statuses and command output into the incident's private evidence folder. */
  captureEvidence: captureArgs,
  /** Take a snapshot of the current state; returns a snapshot id. */
  snapshotDisk: snapshotArgs,
  /** Rotate or revoke a credential. Only fingerprints leave. */
  rotateKey: rotateArgs,
  /** Restore a directory, only after this incident snapshotted its current state. */
  restoreBackup: restoreArgs,
  /** Read-only check: HTTP or command. */
  smokeTest: smokeArgs,
  /** Record a durable control: what now prevents this incident from happening again. */
  recordControl: z.object({
    kind: z.enum(CONTROL_KINDS, { error: CONTROL_KIND_RULE }),
    note: z.string().min(1).max(2000),
  }),
  /** Write the sanitized incident note (markdown) into the incident folder. */
  writeNote: z.object({}),
  /** Run one command (argv) and require its exit code. */
  runCommand: z.object({
    argv,
    cwd: path.optional(),
    expectExitCode: z.number().int().default(0),
    /** The command that reverses this one, reported as the step's undo. */
    undo: z.object({ argv, cwd: path.optional() }).optional(),
    /** Run again on a retry after a worker died mid-command (only for commands safe to repeat). */
    rerunIfInterrupted: z.boolean().default(false),
  }),
  /** Look for known token formats and rotated credentials' old values; report file and line only. */
  scanLeaks: z.object({
    paths: z.array(path).default([]),
    /** Git repositories: their tracked files (tracked `.env`-like files are findings themselves). */
    repos: z.array(path).default([]),
    /** Also scan this incident's evidence folders (captured logs and output). */
    evidence: z.boolean().default(true),
    /** Fingerprints (`sha256:…`) to look for; the old fingerprints of this incident's rotations are added. */
    fingerprints: z.array(z.string().regex(/^sha256:[0-9a-f]{16}$/)).default([]),
    /** Fail the step (VerificationFailed) when anything is found. */
    failOnFinding: z.boolean().default(false),
  }),
  /** Move a file or folder into the incident's private quarantine; optionally leave a placeholder. */
  quarantine: z.object({ path, placeholder: z.string().max(10_000).optional(), reason: z.string().max(500).optional() }),
  /** Put a quarantined file or folder back where it was. */
  unquarantine: z.object({ path }),
  /** Cut traffic except to and from the admin addresses (nftables, iptables fallback). */
  lockNetwork: z.object({
    scope: lockScope.default({ kind: 'host' }),
    allow: z.array(address).min(1, 'name at least one admin address, or you lock yourself out'),
    backend: z.enum(['auto', 'nftables', 'iptables']).default('auto'),
    /** A network namespace (`ip netns`) to act in instead of the worker's own. */
    netns: name('network namespace').optional(),
  }),
  /** Remove the rules a lockNetwork step of this incident added. */
  unlockNetwork: z.object({ lockStep: z.string().regex(NAME_PATTERN, 'must be the id of a lockNetwork step') }),
  /** Capture the persistence checklist (SSH keys, cron, timers, services, logins, debsums) as evidence. */
  sweepHost: z.object({
    /** Root of the file system to read files from (commands always describe the running host). */
    root: path.default('/'),
    /** Skip commands that need a running systemd or a Debian package database. */
    skip: z.array(z.enum(['systemd', 'logins', 'debsums', 'docker'])).default([]),
  }),
  /** A status update: Slack-compatible webhook, or the worker's log. */
  notify: z.object({
    text: z.string().min(1).max(3_000),
    level: z.enum(['info', 'warning', 'critical']).default('info'),
    channel: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('log') }),
        /** `url` when it is not a secret; `urlFrom` (an env file key) when it is, as Slack webhook URLs are. */
        z.object({
          kind: z.literal('webhook'),
          url: z.url({ protocol: /^https?$/ }).optional(),
          urlFrom: envRef.optional(),
          timeoutMs: z.number().int().min(1).max(60_000).default(10_000),
        }),
      ])
      .default({ kind: 'log' }),
  }),
  /** Deny host exec on an OpenClaw gateway (`tools.exec.mode: deny`), proven by a probe turn when one is configured. */
  openclawLockTools: z.object({ ...openclawGateway.shape, probe: execProbe.optional() }),
  /** Cron off (missed runs skipped) and heartbeats off on an OpenClaw gateway. */
  openclawFreezeAutomations: openclawGateway,
  /** Rotate the gateway's shared token; the old one is refused (401), the new one accepted (200). */
  openclawRotateToken: openclawGateway,
  /** Copy config (secrets redacted), logs, workspace, transcripts (online SQLite copies) and the cron/session lists into the evidence folder. */
  openclawCaptureEvidence: openclawGateway,
  /** Move MEMORY.md and memory/*.md out of the agent's workspace into the incident's quarantine. */
  openclawQuarantineMemory: openclawGateway,
  /** Ready, health, one real agent turn, and a security audit with 0 critical findings. */
  openclawSmoke: z.object({
    ...openclawGateway.shape,
    turn: z.boolean().default(true),
    audit: z.boolean().default(true),
  }),
  /** Suspend an OpenClaw gateway (a ~2 min lease: no new work admitted); undone by resuming it. */
  openclawPause: openclawGateway,
  /** Stop an OpenClaw gateway: the pid of its lock file, checked against the process start time; SIGTERM, then SIGKILL. */
  openclawStopGateway: z.object({ ...openclawGateway.shape, graceMs: z.number().int().min(0).max(600_000).default(30_000) }),
  /** Disable one skill, plugin, hook, MCP server or channel of an OpenClaw gateway (hot-applied). */
  openclawDisable: z.object({
    ...openclawGateway.shape,
    kind: z.enum(['skill', 'plugin', 'hook', 'mcp', 'channel']),
    name: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.:@-]*$/, 'must be a component name (letters, digits, _ . : @ -)'),
  }),
  /**
   * Abort the runs of OpenClaw sessions (`sessions.abort`, queued follow-ups cleared), named by
   * key, or every session with a run in flight when none is named. Proven by each session's
   * transcript (read from the agent database) not growing over `quietMs`.
   */
  openclawAbortSessions: z.object({
    ...openclawGateway.shape,
    sessions: z.array(z.string().regex(/^agent:[^\s]+$/, 'must be a session key such as agent:main:<name>')).default([]),
    quietMs: z.number().int().min(1_000).max(120_000).default(8_000),
  }),
  /**
   * Restore the gateway's state dir from an `openclaw backup create` archive: verified, restored
   * into a fresh folder, the gateway stopped, the current state moved aside (kept: the undo
   * moves it back), the backup's copied in at mode 700, linted, and the gateway started the way
   * its service says it runs. `archive` absent: the newest `*.tar.gz` in `backups`.
   */
  openclawRestoreBackup: z.object({
    ...openclawGateway.shape,
    archive: path.optional(),
    backups: path.optional(),
    /** How the gateway runs (a process service of the inventory): the restore starts it that way. */
    service: z.object({ service: z.string().min(1), manager: serviceManager.options[0] }).optional(),
    graceMs: z.number().int().min(0).max(600_000).default(30_000),
    readyTimeoutMs: z.number().int().min(10_000).max(600_000).default(180_000),
  }),
  /** Put back what an OpenClaw step changed: a config merge patch, files it moved aside, a suspension to resume. */
  openclawUndo: z.object({
    ...openclawGateway.shape,
    resume: z.string().min(1).optional(),
    patch: z.record(z.string(), z.unknown()).optional(),
    moves: z.array(z.object({ from: path, to: path })).default([]),
    /** Cron jobs a freeze disabled one by one, to enable again. */
    enableCronJobs: z.array(z.string().min(1)).default([]),
    /** A restore to reverse: the state dir it replaced, kept aside, goes back (the gateway is stopped and started around it). */
    restoredState: z.object({ aside: path, service: z.object({ service: z.string().min(1), manager: serviceManager.options[0] }) }).optional(),
  }),
} as const satisfies Record<ActionName, z.ZodType>;

export const CONTROL_DESCRIPTIONS: Record<ControlKind, string> = {
  'removed-endpoint': 'removed or gated the destructive endpoint',
  'narrowed-scope': 'narrowed a token or permission scope',
  'rotated-credential': 'rotated or shortened a credential',
  'scrub-rule': 'added a scrub rule or publish check',
  'circuit-breaker': 'added a lock, timeout, backoff or circuit breaker',
  'lane-isolation': 'isolated a lane (one profile or lock per workflow)',
  'review-gate': 'added an evidence requirement or review gate',
  'parse-gate': 'added a parse gate or reduced tool access',
  'approval-gate': 'put the action behind human approval',
};
export type ActionArgs<A extends ActionName> = z.infer<(typeof actionArgs)[A]>;

/** What a mutating step reports as its reversal: the step to run, or null when none can be. */
export interface UndoSpec {
  action: ActionName;
  args: Record<string, unknown>;
}
