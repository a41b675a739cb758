/**
 * The inventory (`tourniquet.yaml`): the allowlist of everything playbooks may act on. Steps
 * name entries of it; a name that is not here is refused before anything runs, so untrusted
 * text (an alert label, a pasted parameter) can never name an arbitrary command or path.
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { credentialCheck, livenessProbe, serviceManager } from '../contract';
import { Problem } from '../common/errors';
import { formatProblems, YamlSource } from '../common/data-file';
import { NAME_PATTERN, NAME_RULE } from '../contract';

export const entryName = z.string().regex(NAME_PATTERN, `names are ${NAME_RULE}`);
const absPath = z.string().regex(/^\//, 'must be an absolute path');

const address = z.string().regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, 'must be an IPv4 or IPv6 address or prefix');
const envRefSpec = z.object({ envFile: absPath, key: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an env variable name') });

/** Where a rotated value is written, and which services read it. */
const envTarget = {
  description: z.string().optional(),
  key: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an env variable name'),
  envFile: absPath.optional(),
  envFiles: z.array(absPath).default([]),
  restart: z.array(entryName).default([]),
  /** The independent check that the old value is refused and the new one accepted. */
  check: credentialCheck.optional(),
};

/** A credential and how to rotate it (the rotateKey methods); `restart` names services. */
const credentialSpec = z.discriminatedUnion('method', [
  z.object({ method: z.literal('env-file'), ...envTarget }),
  z.object({ method: z.literal('command'), argv: z.array(z.string()).min(1), outputPattern: z.string().optional(), ...envTarget }),
  z.object({
    method: z.literal('http-revoke'),
    description: z.string().optional(),
    url: z.url({ protocol: /^https?$/ }),
    credential: envRefSpec,
    send: z.enum(['json', 'form', 'bearer']).default('json'),
    auth: envRefSpec.optional(),
    expectStatus: z.array(z.number().int().min(100).max(599)).optional(),
    restart: z.array(entryName).default([]),
    check: credentialCheck.optional(),
  }),
]);
/** Without `method`, a credential is a key in env files. */
const credentialEntry = z.preprocess((v) => (v && typeof v === 'object' && !('method' in v) ? { ...v, method: 'env-file' } : v), credentialSpec);

export const inventorySchema = z
  .object({
    /** Groups of people who may approve, e.g. `oncall: [alice, bob]`. */
    approvers: z.record(entryName, z.array(z.string().min(1)).min(1)).default({}),
    services: z
      .record(
        entryName,
        z.object({
          description: z.string().optional(),
          /**
           * process {pidfile, command, cwd, envFile, logFile}, supervisord {program},
           * systemd {unit, scope}, docker {container}.
           */
          manager: serviceManager,
          /**
           * How to tell the service is up without its manager: `{port}`, `{url}` or
           * `{processMatch}`. Without one, a missing or stale pidfile is an error, never "was not running".
           */
          probe: livenessProbe.optional(),
          /** Log files captured as evidence of this service (a systemd unit's journal is captured too). */
          logs: z.array(absPath).default([]),
        }),
      )
      .default({}),
    /** Credentials and how each is rotated; `restart` lists the services that read it. */
    credentials: z.record(entryName, credentialEntry).default({}),
    /** Files and folders: workspaces, artifacts, memory stores, transcripts. `snapshot: btrfs` for a subvolume. */
    paths: z
      .record(entryName, z.object({ description: z.string().optional(), path: absPath, snapshot: z.enum(['archive', 'btrfs']).default('archive') }))
      .default({}),
    /** Backups of a path (by name): a tar archive, or a restic repository. */
    backups: z
      .record(
        entryName,
        z.union([
          z.object({ description: z.string().optional(), path: entryName, archive: absPath }),
          z.object({
            description: z.string().optional(),
            path: entryName,
            restic: z.object({
              repository: z.string().min(1),
              passwordFile: absPath,
              snapshot: z
                .string()
                .regex(/^(latest|[0-9a-f]{8,64})$/)
                .default('latest'),
            }),
          }),
        ]),
      )
      .default({}),
    repos: z.record(entryName, z.object({ description: z.string().optional(), path: absPath })).default({}),
    /** Read-only checks: an HTTP GET, or a command. */
    checks: z
      .record(
        entryName,
        z.union([
          z.object({
            description: z.string().optional(),
            url: z.url({ protocol: /^https?$/ }),
            expectStatus: z.number().int().min(100).max(599).default(200),
            bodyPattern: z.string().optional(),
            maxLatencyMs: z.number().int().min(1).optional(),
          }),
          z.object({
            description: z.string().optional(),
            argv: z.array(z.string()).min(1),
            expectExitCode: z.number().int().default(0),
            outputPattern: z.string().optional(),
          }),
        ]),
      )
      .default({}),
    /** Network lockdowns: the admin addresses that stay reachable, and what is cut. */
    networks: z
      .record(
        entryName,
        z.object({
          description: z.string().optional(),
          allow: z.array(address).min(1, 'keep at least one admin address reachable'),
          scope: z
            .union([
              z.object({ kind: z.literal('host') }),
              z.object({ kind: z.literal('service'), uid: z.number().int().min(0).optional(), ports: z.array(z.number().int().min(1).max(65535)).default([]) }),
            ])
            .default({ kind: 'host' }),
          backend: z.enum(['auto', 'nftables', 'iptables']).default('auto'),
        }),
      )
      .default({}),
    /** Where status updates go: a Slack-compatible webhook (its URL read from an env file), or the log. */
    channels: z
      .record(
        entryName,
        z.union([
          z.object({ kind: z.literal('log') }),
          /** `timeoutMs`: how long one post may take (default 10 s); the step retries after that. */
          z.object({ kind: z.literal('webhook'), urlFrom: envRefSpec, timeoutMs: z.number().int().min(1).max(60_000).optional() }),
        ]),
      )
      .default({}),
    /**
     * OpenClaw gateways: state dir, config, loopback port, and where the shared token is read
     * at run time (`tokenFrom: config` reads `gateway.auth.token` from the config file; or
     * `{envFile, key}`). `node` and `openclawEntry` default to the project-local install
     * (`npm run setup:openclaw`).
     */
    openclaw: z
      .record(
        entryName,
        z.object({
          description: z.string().optional(),
          stateDir: absPath,
          configPath: absPath.optional(),
          port: z.number().int().min(1).max(65535),
          tokenFrom: z.union([z.literal('config'), envRefSpec]).default('config'),
          node: absPath.optional(),
          openclawEntry: absPath.optional(),
          /** A live exec probe for the tool lockdown: the message, `{command}` replaced by the shell command. */
          execProbe: z.string().includes('{command}', { message: 'must contain {command}' }).optional(),
          /** The services entry (a process service) that runs the gateway: a restore starts it that way. */
          service: entryName.optional(),
          /** Where `openclaw backup create --output` writes its archives: a restore takes the newest. */
          backups: absPath.optional(),
        }),
      )
      .default({}),
    /** Named commands (argv, never a shell). What they freeze or change is declared, for the ordering rules. */
    commands: z
      .record(
        entryName,
        z.object({
          description: z.string().optional(),
          argv: z.array(z.string()).min(1),
          cwd: absPath.optional(),
          expectExitCode: z.number().int().default(0),
          readOnly: z.boolean().default(false),
          freezes: z.array(entryName).default([]),
          changes: z.array(entryName).default([]),
        }),
      )
      .default({}),
  })
  .superRefine((inv, ctx) => {
    for (const [name, backup] of Object.entries(inv.backups)) {
      if (!inv.paths[backup.path])
        ctx.addIssue({
          code: 'custom',
          path: ['backups', name, 'path'],
          message: `"${backup.path}" is not in paths (paths: ${Object.keys(inv.paths).join(', ') || 'none'})`,
        });
    }
    for (const [name, cred] of Object.entries(inv.credentials)) {
      if (cred.method !== 'http-revoke' && cred.envFile === undefined && cred.envFiles.length === 0) {
        ctx.addIssue({ code: 'custom', path: ['credentials', name], message: 'name the env file(s) holding the key: envFile or envFiles' });
      }
      cred.restart.forEach((svc, i) => {
        if (!inv.services[svc]) ctx.addIssue({ code: 'custom', path: ['credentials', name, 'restart', i], message: `"${svc}" is not in services` });
      });
    }
    for (const [name, gw] of Object.entries(inv.openclaw)) {
      if (gw.service === undefined) continue;
      const svc = inv.services[gw.service];
      if (!svc) ctx.addIssue({ code: 'custom', path: ['openclaw', name, 'service'], message: `"${gw.service}" is not in services` });
      else if (svc.manager.kind !== 'process')
        ctx.addIssue({
          code: 'custom',
          path: ['openclaw', name, 'service'],
          message: `"${gw.service}" is a ${svc.manager.kind} service; a restore starts the gateway itself: name a process service (pidfile, command)`,
        });
    }
    for (const [name, cmd] of Object.entries(inv.commands)) {
      if (cmd.readOnly && (cmd.freezes.length || cmd.changes.length)) {
        ctx.addIssue({ code: 'custom', path: ['commands', name], message: 'a readOnly command cannot freeze or change anything' });
      }
      if (!cmd.readOnly && !cmd.freezes.length && !cmd.changes.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['commands', name],
          message: 'say what the command freezes or changes (freezes: / changes:), or mark it readOnly: true',
        });
      }
    }
  });

export type Inventory = z.infer<typeof inventorySchema>;
export type InventoryKind = 'service' | 'credential' | 'path' | 'backup' | 'repo' | 'check' | 'command' | 'network' | 'channel' | 'openclaw';

const SECTION: Record<InventoryKind, keyof Omit<Inventory, 'approvers'>> = {
  service: 'services',
  credential: 'credentials',
  path: 'paths',
  backup: 'backups',
  repo: 'repos',
  check: 'checks',
  command: 'commands',
  network: 'networks',
  channel: 'channels',
  openclaw: 'openclaw',
};

export function inventoryNames(inv: Inventory, kind: InventoryKind): string[] {
  return Object.keys(inv[SECTION[kind]]);
}

export function hasEntry(inv: Inventory, kind: InventoryKind, name: string): boolean {
  return Object.hasOwn(inv[SECTION[kind]], name);
}

/** The inventory in `file`; a missing file says where it looked and how to point elsewhere. */
export function loadInventory(file: string): Inventory {
  if (!existsSync(file))
    throw new Problem(
      'InvalidInput',
      `no inventory at ${file}: copy examples/tourniquet.yaml there and name your services, credentials and paths, or point at yours with --inventory <file> or TOURNIQUET_INVENTORY`,
    );
  return parseInventory(YamlSource.read(file));
}

export function parseInventory(source: YamlSource): Inventory {
  const result = source.parseWith(inventorySchema);
  if (!result.ok) throw new Problem('InvalidInput', `invalid inventory:\n${formatProblems(source.file, result.problems)}`);
  return result.value;
}
