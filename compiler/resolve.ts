/**
 * Per-action resolvers: a playbook step's arguments (inventory names and "{{parameter}}"
 * references) become the action's concrete arguments and the step's effects.
 *
 * The argument schemas themselves are in playbook.ts (part of the playbook format).
 */
import { z } from 'zod';
import type { ActionName, StepEffects } from '../workflows/contract';
import { hasEntry, inventoryNames, type Inventory, type InventoryKind } from './inventory';
import type { ParameterSpec, playbookArgs } from './playbook';

export type ParamValue = string | number | boolean;

export interface ResolveContext {
  /** Absent when validating a playbook alone: names stay symbolic and are not looked up. */
  inventory: Inventory | undefined;
  params: Record<string, ParamValue>;
  specs: Record<string, ParameterSpec>;
  problem(path: (string | number)[], message: string): void;
}

export interface Resolved {
  args: Record<string, unknown>;
  effects: StepEffects;
}

const PLACEHOLDER = /^\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}$/;

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
      ctx.problem(path, `parameter ${param} is a ${spec.type}; this argument needs a ${kind}`);
      return undefined;
    }
    const value = ctx.params[param] ?? spec.default;
    if (value === undefined) {
      if (!ctx.inventory) return raw; // validating alone: stays symbolic
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

export const RESOLVERS: Record<ActionName, Resolver> = {
  stopService: (ctx, a: z.infer<typeof playbookArgs.stopService>, at) => {
    const service = resolveRef(ctx, [...at, 'service'], a.service, 'service');
    if (!service) return undefined;
    const svc = ctx.inventory?.services[service];
    return { args: { service, pidfile: svc?.manager.pidfile ?? '', ...(a.graceMs !== undefined ? { graceMs: a.graceMs } : {}) }, effects: effects({ freezes: [service] }) };
  },
  startService: (ctx, a: z.infer<typeof playbookArgs.startService>, at) => {
    const service = resolveRef(ctx, [...at, 'service'], a.service, 'service');
    if (!service) return undefined;
    return { args: { service, pidfile: ctx.inventory?.services[service]?.manager.pidfile ?? '' }, effects: effects({ restarts: [service] }) };
  },
  captureEvidence: (ctx, a: z.infer<typeof playbookArgs.captureEvidence>, at) => {
    const services = all(ctx, at, 'services', a.services, 'service');
    const paths = all(ctx, at, 'paths', a.paths, 'path');
    const repos = all(ctx, at, 'repos', a.repos, 'repo');
    const commands = all(ctx, at, 'commands', a.commands, 'command');
    if (!services || !paths || !repos || !commands) return undefined;
    const inv = ctx.inventory;
    const files: string[] = [];
    const cmds: { name: string; argv: string[]; cwd?: string }[] = [];
    for (const s of services) {
      const svc = inv?.services[s];
      if (svc) files.push(svc.manager.pidfile, ...svc.logs);
    }
    // One process listing: the status of every service captured here, as the runbook asks.
    if (services.length) cmds.push({ name: 'processes.txt', argv: ['ps', '-ww', '-eo', 'pid,ppid,pgid,lstart,etime,args'] });
    for (const p of paths) if (inv?.paths[p]) files.push(inv.paths[p].path);
    for (const r of repos) {
      const repo = inv?.repos[r];
      if (!repo) continue;
      cmds.push({ name: `${r}-git-status.txt`, argv: ['git', '-C', repo.path, 'status', '--short'] });
      cmds.push({ name: `${r}-git-diff.patch`, argv: ['git', '-C', repo.path, 'diff'] });
    }
    commands.forEach((c, i) => {
      const cmd = inv?.commands[c];
      if (!cmd) return;
      if (!cmd.readOnly) ctx.problem([...at, 'commands', i], `command "${c}" is not readOnly; evidence capture runs read-only commands only`);
      cmds.push({ name: `${c}.txt`, argv: cmd.argv, ...(cmd.cwd ? { cwd: cmd.cwd } : {}) });
    });
    return { args: { files, commands: cmds }, effects: effects({ captures: [...services, ...paths, ...repos] }) };
  },
  snapshotDisk: (ctx, a: z.infer<typeof playbookArgs.snapshotDisk>, at) => {
    if ('backup' in a) {
      const backup = resolveRef(ctx, [...at, 'backup'], a.backup, 'backup');
      if (!backup) return undefined;
      const pathName = backupPath(ctx, backup);
      return { args: { target: ctx.inventory?.paths[pathName]?.path ?? '' }, effects: effects({ snapshots: [pathName] }) };
    }
    const path = resolveRef(ctx, [...at, 'path'], a.path, 'path');
    if (!path) return undefined;
    return { args: { target: ctx.inventory?.paths[path]?.path ?? '' }, effects: effects({ snapshots: [path] }) };
  },
  restoreBackup: (ctx, a: z.infer<typeof playbookArgs.restoreBackup>, at) => {
    const backup = resolveRef(ctx, [...at, 'backup'], a.backup, 'backup');
    if (!backup) return undefined;
    const pathName = backupPath(ctx, backup);
    const entry = ctx.inventory?.backups[backup];
    return { args: { target: ctx.inventory?.paths[pathName]?.path ?? '', archive: entry?.archive ?? '' }, effects: effects({ restores: [pathName] }) };
  },
  rotateKey: (ctx, a: z.infer<typeof playbookArgs.rotateKey>, at) => {
    const credential = resolveRef(ctx, [...at, 'credential'], a.credential, 'credential');
    if (!credential) return undefined;
    const cred = ctx.inventory?.credentials[credential];
    return { args: { envFile: cred?.envFile ?? '', key: cred?.key ?? 'KEY' }, effects: effects({ rotates: [credential] }) };
  },
  smokeTest: (ctx, a: z.infer<typeof playbookArgs.smokeTest>, at) => {
    const check = resolveRef(ctx, [...at, 'check'], a.check, 'check');
    if (!check) return undefined;
    const c = ctx.inventory?.checks[check];
    return { args: { url: c?.url ?? 'http://127.0.0.1/', expectStatus: c?.expectStatus ?? 200 }, effects: effects({ reads: [check] }) };
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
};
