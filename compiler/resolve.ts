/**
 * Per-action resolvers: a playbook step's arguments (inventory names and "{{parameter}}"
 * references) become the action's concrete arguments and the step's effects.
 *
 * The argument schemas themselves are in playbook.ts (part of the playbook format).
 */
import { join } from 'node:path';
import { z } from 'zod';
import type { ActionName, StepEffects } from '../contract';
import { hasEntry, inventoryNames, type Inventory, type InventoryKind } from './inventory';
import type { ParameterSpec, playbookArgs } from './playbook';
import { fillPlaceholders, PLACEHOLDER } from '../contract';
import { OPENCLAW_ENTRY, OPENCLAW_NODE } from '../common/paths';

export type ParamValue = string | number | boolean | string[];

export interface ResolveContext {
  /** Absent when validating a playbook alone: names stay symbolic and are not looked up. */
  inventory: Inventory | undefined;
  params: Record<string, ParamValue>;
  specs: Record<string, ParameterSpec>;
  problem(path: (string | number)[], message: string): void;
  /** A parameter without a value stays "{{name}}" (validation) instead of being an error (a run). */
  symbolic: boolean;
}

export interface Resolved {
  args: Record<string, unknown>;
  effects: StepEffects;
}

function effects(partial: Partial<StepEffects>): StepEffects {
  return { freezes: [], captures: [], snapshots: [], rotates: [], restarts: [], restores: [], changes: [], reads: [], ...partial };
}

/** Resolve one reference to an inventory name of `kind`; records a problem and returns undefined when it cannot. */
export function resolveRef(ctx: ResolveContext, path: (string | number)[], raw: string, kind: InventoryKind): string | undefined {
  let name = raw;
  const placeholder = PLACEHOLDER.exec(raw);
  if (placeholder) {
    const param = placeholder[1]!;
    const spec = ctx.specs[param];
    if (!spec) {
      ctx.problem(path, `unknown parameter {{${param}}} (parameters: ${Object.keys(ctx.specs).join(', ') || 'none'})`);
      return undefined;
    }
    if (spec.type !== kind) {
      const hint = spec.type === `${kind}[]` ? `: run the step once per item with forEach: "{{${param}}}" and name the item "{{item}}"` : '';
      ctx.problem(path, `parameter ${param} is a ${spec.type}; this argument needs a ${kind}${hint}`);
      return undefined;
    }
    const value = ctx.params[param] ?? spec.default;
    if (value === undefined) {
      if (ctx.symbolic) return raw;
      ctx.problem(path, `parameter ${param} has no value: pass --param ${param}=<${kind} name>`);
      return undefined;
    }
    name = String(value);
  } else if (raw.includes('{{')) {
    ctx.problem(path, 'a reference is either a whole "{{parameter}}" or an inventory name, never text around a placeholder');
    return undefined;
  }
  if (ctx.inventory && !hasEntry(ctx.inventory, kind, name)) {
    const known = inventoryNames(ctx.inventory, kind);
    ctx.problem(path, `"${name}" is not a ${kind} in the inventory (${kind}s: ${known.join(', ') || 'none'})`);
    return undefined;
  }
  return name;
}

type Resolver = (ctx: ResolveContext, args: never, at: (string | number)[]) => Resolved | undefined;

function all(ctx: ResolveContext, at: (string | number)[], key: string, list: string[], kind: InventoryKind): string[] | undefined {
  const out = list.map((r, i) => resolveRef(ctx, [...at, key, i], r, kind));
  return out.every((x): x is string => x !== undefined) ? out : undefined;
}

/** The path name a backup belongs to, or a stable symbol when validating alone. */
function backupPath(ctx: ResolveContext, backup: string): string {
  return ctx.inventory?.backups[backup]?.path ?? `backup:${backup}`;
}

/**
 * A service as actions name it: its label and how its manager runs it. The inventory's probe
 * travels inside the manager, so every step that names the service (a stop, its undo, a
 * restart after a rotation) can check the world the same way.
 */
function serviceRef(ctx: ResolveContext, name: string) {
  const svc = ctx.inventory?.services[name];
  const manager = svc?.manager ?? { kind: 'process' as const, pidfile: '/' };
  return { service: name, manager: svc?.probe && !manager.probe ? { ...manager, probe: svc.probe } : manager };
}

/** Every env file the inventory's credentials live in: captured output is redacted with them. */
function credentialFiles(inv: Inventory | undefined): string[] {
  const files = Object.values(inv?.credentials ?? {}).flatMap((c) =>
    c.method === 'http-revoke' ? [c.credential.envFile] : [...(c.envFile ? [c.envFile] : []), ...c.envFiles],
  );
  return [...new Set(files)];
}

/** An OpenClaw gateway as its actions name it; stand-in paths when validating without an inventory. */
function openclawRef(ctx: ResolveContext, name: string) {
  const gw = ctx.inventory?.openclaw[name];
  const stateDir = gw?.stateDir ?? '/';
  return {
    gateway: name,
    stateDir,
    configPath: gw?.configPath ?? join(stateDir, 'openclaw.json'),
    port: gw?.port ?? 18789,
    tokenFrom: !gw || gw.tokenFrom === 'config' ? { kind: 'config' } : { kind: 'env-file', ...gw.tokenFrom },
    node: gw?.node ?? OPENCLAW_NODE,
    openclawEntry: gw?.openclawEntry ?? OPENCLAW_ENTRY,
  };
}

/** A resolver for an OpenClaw action whose only argument is the gateway. */
function onGateway(
  fx: (gateway: string) => Partial<StepEffects>,
  extra: (ctx: ResolveContext, name: string) => Record<string, unknown> = () => ({}),
): Resolver {
  return (ctx, a: { gateway: string }, at) => {
    const gateway = resolveRef(ctx, [...at, 'gateway'], a.gateway, 'openclaw');
    if (!gateway) return undefined;
    return { args: { ...openclawRef(ctx, gateway), ...extra(ctx, gateway) }, effects: effects(fx(gateway)) };
  };
}

/** The gateway's memory (MEMORY.md, memory/*.md) as a target of its own for rule 2. */
const memoryOf = (gateway: string) => `${gateway}:memory`;

export const RESOLVERS: Record<ActionName, Resolver> = {
  stopService: (ctx, a: z.infer<typeof playbookArgs.stopService>, at) => {
    const service = resolveRef(ctx, [...at, 'service'], a.service, 'service');
    if (!service) return undefined;
    return { args: { ...serviceRef(ctx, service), ...(a.graceMs !== undefined ? { graceMs: a.graceMs } : {}) }, effects: effects({ freezes: [service] }) };
  },
  startService: (ctx, a: z.infer<typeof playbookArgs.startService>, at) => {
    const service = resolveRef(ctx, [...at, 'service'], a.service, 'service');
    if (!service) return undefined;
    return { args: { ...serviceRef(ctx, service), ...(a.settleMs !== undefined ? { settleMs: a.settleMs } : {}) }, effects: effects({ restarts: [service] }) };
  },
  captureEvidence: (ctx, a: z.infer<typeof playbookArgs.captureEvidence>, at) => {
    const services = all(ctx, at, 'services', a.services, 'service');
    const paths = all(ctx, at, 'paths', a.paths, 'path');
    const repos = all(ctx, at, 'repos', a.repos, 'repo');
    const commands = all(ctx, at, 'commands', a.commands, 'command');
    if (!services || !paths || !repos || !commands) return undefined;
    const inv = ctx.inventory;
    const files = paths.flatMap((p) => (inv?.paths[p] ? [inv.paths[p].path] : []));
    // A service's state: its status through the manager, its log files raw, a systemd unit's journal.
    const logs = services.flatMap((s) => inv?.services[s]?.logs ?? []);
    const journal = services.flatMap((s) => {
      const m = inv?.services[s]?.manager;
      return m?.kind === 'systemd' ? [{ unit: m.unit, scope: m.scope, since: '2h' }] : [];
    });
    const containers = services.flatMap((s) => {
      const m = inv?.services[s]?.manager;
      return m?.kind === 'docker' ? [m.container] : [];
    });
    const cmds = commands.flatMap((c, i) => {
      const cmd = inv?.commands[c];
      if (!cmd) return [];
      if (!cmd.readOnly) ctx.problem([...at, 'commands', i], `command "${c}" is not readOnly; evidence capture runs read-only commands only`);
      return [{ name: `${c}.txt`, argv: cmd.argv, ...(cmd.cwd ? { cwd: cmd.cwd } : {}) }];
    });
    return {
      args: {
        files: [...files, ...logs],
        commands: cmds,
        services: services.map((s) => serviceRef(ctx, s)),
        journal,
        repos: repos.flatMap((r) => (inv?.repos[r] ? [inv.repos[r].path] : [])),
        containers,
        redactEnvFiles: credentialFiles(inv),
      },
      effects: effects({ captures: [...services, ...paths, ...repos] }),
    };
  },
  snapshotDisk: (ctx, a: z.infer<typeof playbookArgs.snapshotDisk>, at) => {
    let pathName: string | undefined;
    if ('backup' in a) {
      const backup = resolveRef(ctx, [...at, 'backup'], a.backup, 'backup');
      pathName = backup && backupPath(ctx, backup);
    } else pathName = resolveRef(ctx, [...at, 'path'], a.path, 'path');
    if (!pathName) return undefined;
    const entry = ctx.inventory?.paths[pathName];
    return { args: { method: entry?.snapshot ?? 'archive', target: entry?.path ?? '/' }, effects: effects({ snapshots: [pathName] }) };
  },
  restoreBackup: (ctx, a: z.infer<typeof playbookArgs.restoreBackup>, at) => {
    const backup = resolveRef(ctx, [...at, 'backup'], a.backup, 'backup');
    if (!backup) return undefined;
    const pathName = backupPath(ctx, backup);
    const target = ctx.inventory?.paths[pathName]?.path ?? '/';
    const entry = ctx.inventory?.backups[backup];
    const args =
      entry && 'restic' in entry
        ? { method: 'restic', target, ...entry.restic }
        : { method: 'archive', target, archive: entry && 'archive' in entry ? entry.archive : '/' };
    return { args, effects: effects({ restores: [pathName] }) };
  },
  rotateKey: (ctx, a: z.infer<typeof playbookArgs.rotateKey>, at) => {
    const credential = resolveRef(ctx, [...at, 'credential'], a.credential, 'credential');
    if (!credential) return undefined;
    const cred = ctx.inventory?.credentials[credential];
    // Dependent services restart only when the playbook asks: usually they are frozen first
    // and restarted by their own step, after their state is captured (rule 4).
    const dependents = a.restartDependents ? (cred?.restart ?? []) : [];
    const restart = dependents.map((s) => serviceRef(ctx, s));
    let args: Record<string, unknown> = { method: 'env-file', key: 'KEY', envFiles: ['/'] };
    if (cred?.method === 'http-revoke') {
      const { description: _d, restart: _r, ...rest } = cred;
      args = rest;
    } else if (cred) {
      const { description: _d, restart: _r, ...rest } = cred;
      args = { ...rest, restart };
    }
    return { args, effects: effects({ rotates: [credential], restarts: dependents }) };
  },
  smokeTest: (ctx, a: z.infer<typeof playbookArgs.smokeTest>, at) => {
    const check = resolveRef(ctx, [...at, 'check'], a.check, 'check');
    if (!check) return undefined;
    const c = ctx.inventory?.checks[check];
    const { description: _d, ...rest } = c ?? { url: 'http://127.0.0.1/' };
    const args = 'argv' in rest ? { kind: 'command', ...rest } : { kind: 'http', ...rest };
    return { args, effects: effects({ reads: [check] }) };
  },
  runCommand: (ctx, a: z.infer<typeof playbookArgs.runCommand>, at) => {
    const command = resolveRef(ctx, [...at, 'command'], a.command, 'command');
    if (!command) return undefined;
    const cmd = ctx.inventory?.commands[command];
    return {
      args: { argv: cmd?.argv ?? ['true'], ...(cmd?.cwd ? { cwd: cmd.cwd } : {}), expectExitCode: cmd?.expectExitCode ?? 0 },
      effects: effects({ freezes: cmd?.freezes ?? [], changes: cmd?.changes ?? [], reads: cmd?.readOnly ? [command] : [] }),
    };
  },
  recordControl: (_ctx, a: z.infer<typeof playbookArgs.recordControl>) => ({ args: { ...a }, effects: effects({}) }),
  writeNote: () => ({ args: {}, effects: effects({}) }),
  scanLeaks: (ctx, a: z.infer<typeof playbookArgs.scanLeaks>, at) => {
    const paths = all(ctx, at, 'paths', a.paths, 'path');
    const repos = all(ctx, at, 'repos', a.repos, 'repo');
    if (!paths || !repos) return undefined;
    const inv = ctx.inventory;
    return {
      args: {
        paths: paths.flatMap((p) => (inv?.paths[p] ? [inv.paths[p].path] : [])),
        repos: repos.flatMap((r) => (inv?.repos[r] ? [inv.repos[r].path] : [])),
        evidence: a.evidence,
        failOnFinding: a.failOnFinding,
      },
      effects: effects({ reads: [...paths, ...repos] }),
    };
  },
  quarantine: (ctx, a: z.infer<typeof playbookArgs.quarantine>, at) => {
    const path = resolveRef(ctx, [...at, 'path'], a.path, 'path');
    if (!path) return undefined;
    // Moving it aside with its hash both takes it out of reach and preserves it.
    return {
      args: {
        path: ctx.inventory?.paths[path]?.path ?? '/',
        ...(a.placeholder ? { placeholder: a.placeholder } : {}),
        ...(a.reason ? { reason: a.reason } : {}),
      },
      effects: effects({ freezes: [path], captures: [path] }),
    };
  },
  unquarantine: (ctx, a: z.infer<typeof playbookArgs.unquarantine>, at) => {
    const path = resolveRef(ctx, [...at, 'path'], a.path, 'path');
    if (!path) return undefined;
    return { args: { path: ctx.inventory?.paths[path]?.path ?? '/' }, effects: effects({ changes: [path] }) };
  },
  lockNetwork: (ctx, a: z.infer<typeof playbookArgs.lockNetwork>, at) => {
    const network = resolveRef(ctx, [...at, 'network'], a.network, 'network');
    if (!network) return undefined;
    const { description: _d, ...net } = ctx.inventory?.networks[network] ?? { allow: ['127.0.0.1'] };
    return { args: net, effects: effects({ freezes: [network] }) };
  },
  unlockNetwork: (_ctx, a: z.infer<typeof playbookArgs.unlockNetwork>) => ({ args: { lockStep: a.lockStep }, effects: effects({}) }),
  sweepHost: (_ctx, a: z.infer<typeof playbookArgs.sweepHost>) => ({ args: { root: '/', skip: a.skip }, effects: effects({ captures: ['host'] }) }),
  openclawLockTools: onGateway(
    (g) => ({ freezes: [g] }),
    (ctx, g) => {
      const instruct = ctx.inventory?.openclaw[g]?.execProbe;
      return instruct ? { probe: { instruct } } : {};
    },
  ),
  openclawFreezeAutomations: onGateway((g) => ({ freezes: [g] })),
  openclawRotateToken: onGateway((g) => ({ rotates: [g] })),
  // The capture covers the gateway's state and its memory, so later changes to either are allowed (rule 2).
  openclawCaptureEvidence: onGateway((g) => ({ captures: [g, memoryOf(g)] })),
  openclawQuarantineMemory: onGateway((g) => ({ changes: [memoryOf(g)] })),
  openclawSmoke: (ctx, a: z.infer<typeof playbookArgs.openclawSmoke>, at) => {
    const gateway = resolveRef(ctx, [...at, 'gateway'], a.gateway, 'openclaw');
    if (!gateway) return undefined;
    return { args: { ...openclawRef(ctx, gateway), turn: a.turn, audit: a.audit }, effects: effects({ reads: [gateway] }) };
  },
  openclawPause: onGateway((g) => ({ freezes: [g] })),
  openclawStopGateway: (ctx, a: z.infer<typeof playbookArgs.openclawStopGateway>, at) => {
    const gateway = resolveRef(ctx, [...at, 'gateway'], a.gateway, 'openclaw');
    if (!gateway) return undefined;
    return { args: { ...openclawRef(ctx, gateway), ...(a.graceMs !== undefined ? { graceMs: a.graceMs } : {}) }, effects: effects({ freezes: [gateway] }) };
  },
  openclawDisable: (ctx, a: z.infer<typeof playbookArgs.openclawDisable>, at) => {
    const gateway = resolveRef(ctx, [...at, 'gateway'], a.gateway, 'openclaw');
    if (!gateway) return undefined;
    return { args: { ...openclawRef(ctx, gateway), kind: a.kind, name: fillPlaceholders(a.name, ctx.params) }, effects: effects({ freezes: [gateway] }) };
  },
  openclawAbortSessions: (ctx, a: z.infer<typeof playbookArgs.openclawAbortSessions>, at) => {
    const gateway = resolveRef(ctx, [...at, 'gateway'], a.gateway, 'openclaw');
    if (!gateway) return undefined;
    const sessions = a.sessions.map((k) => fillPlaceholders(k, ctx.params));
    return {
      args: { ...openclawRef(ctx, gateway), sessions, ...(a.quietMs !== undefined ? { quietMs: a.quietMs } : {}) },
      effects: effects({ freezes: [gateway] }),
    };
  },
  // The restore replaces the state (memory included) and restarts the gateway: rules 2 and 4
  // want its capture first; the catalogue's revivesCredentials wants a rotation after it.
  openclawRestoreBackup: (ctx, a: z.infer<typeof playbookArgs.openclawRestoreBackup>, at) => {
    const gateway = resolveRef(ctx, [...at, 'gateway'], a.gateway, 'openclaw');
    if (!gateway) return undefined;
    const entry = ctx.inventory?.openclaw[gateway];
    const args = {
      ...openclawRef(ctx, gateway),
      ...(a.archive ? { archive: fillPlaceholders(a.archive, ctx.params) } : {}),
      ...(entry?.backups ? { backups: entry.backups } : {}),
      ...(entry?.service ? { service: serviceRef(ctx, entry.service) } : {}),
    };
    return { args, effects: effects({ changes: [gateway, memoryOf(gateway)], restarts: [gateway] }) };
  },
  openclawUndo: () => undefined,
  notify: (ctx, a: z.infer<typeof playbookArgs.notify>, at) => {
    const shown = Object.fromEntries(Object.entries(ctx.params).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
    const text = fillPlaceholders(a.text, shown);
    if (!a.channel) return { args: { text, level: a.level, channel: { kind: 'log' } }, effects: effects({}) };
    const channel = resolveRef(ctx, [...at, 'channel'], a.channel, 'channel');
    if (!channel) return undefined;
    return { args: { text, level: a.level, channel: ctx.inventory?.channels[channel] ?? { kind: 'log' } }, effects: effects({}) };
  },
};
