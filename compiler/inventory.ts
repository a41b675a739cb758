/**
 * The inventory (`tourniquet.yaml`): the allowlist of everything playbooks may act on. Steps
 * name entries of it; a name that is not here is refused before anything runs, so untrusted
 * text (an alert label, a pasted parameter) can never name an arbitrary command or path.
 */
import { z } from 'zod';
import { CliError } from '../common/errors';
import { formatProblems, YamlSource } from './yaml';

export const entryName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'names are lower-case letters, digits and dashes');
const absPath = z.string().regex(/^\//, 'must be an absolute path');

/** How a service is stopped and started. */
export const serviceManagerSpec = z.object({ kind: z.literal('process'), pidfile: absPath });

export const inventorySchema = z
  .object({
    /** Groups of people who may approve, e.g. `oncall: [alice, bob]`. */
    approvers: z.record(entryName, z.array(z.string().min(1)).min(1)).default({}),
    services: z
      .record(
        entryName,
        z.object({
          description: z.string().optional(),
          manager: serviceManagerSpec,
          /** Log files captured as evidence of this service. */
          logs: z.array(absPath).default([]),
        }),
      )
      .default({}),
    credentials: z
      .record(
        entryName,
        z.object({
          description: z.string().optional(),
          envFile: absPath,
          key: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an env variable name'),
          /** Services that read this credential and must restart after a rotation. */
          restart: z.array(entryName).default([]),
        }),
      )
      .default({}),
    /** Files and folders: workspaces, artifacts, memory stores, transcripts. */
    paths: z.record(entryName, z.object({ description: z.string().optional(), path: absPath })).default({}),
    backups: z.record(entryName, z.object({ description: z.string().optional(), path: entryName, archive: absPath })).default({}),
    repos: z.record(entryName, z.object({ description: z.string().optional(), path: absPath })).default({}),
    checks: z
      .record(
        entryName,
        z.object({
          description: z.string().optional(),
          url: z.url({ protocol: /^https?$/ }),
          expectStatus: z.number().int().min(100).max(599).default(200),
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
      if (!inv.paths[backup.path]) ctx.addIssue({ code: 'custom', path: ['backups', name, 'path'], message: `"${backup.path}" is not in paths (paths: ${Object.keys(inv.paths).join(', ') || 'none'})` });
    }
    for (const [name, cred] of Object.entries(inv.credentials)) {
      cred.restart.forEach((svc, i) => {
        if (!inv.services[svc]) ctx.addIssue({ code: 'custom', path: ['credentials', name, 'restart', i], message: `"${svc}" is not in services` });
      });
    }
    for (const [name, cmd] of Object.entries(inv.commands)) {
      if (cmd.readOnly && (cmd.freezes.length || cmd.changes.length)) {
        ctx.addIssue({ code: 'custom', path: ['commands', name], message: 'a readOnly command cannot freeze or change anything' });
      }
      if (!cmd.readOnly && !cmd.freezes.length && !cmd.changes.length) {
        ctx.addIssue({ code: 'custom', path: ['commands', name], message: 'say what the command freezes or changes (freezes: / changes:), or mark it readOnly: true' });
      }
    }
  });

export type Inventory = z.infer<typeof inventorySchema>;
export type InventoryKind = 'service' | 'credential' | 'path' | 'backup' | 'repo' | 'check' | 'command';

const SECTION: Record<InventoryKind, keyof Omit<Inventory, 'approvers'>> = {
  service: 'services',
  credential: 'credentials',
  path: 'paths',
  backup: 'backups',
  repo: 'repos',
  check: 'checks',
  command: 'commands',
};

export function inventoryNames(inv: Inventory, kind: InventoryKind): string[] {
  return Object.keys(inv[SECTION[kind]]);
}

export function hasEntry(inv: Inventory, kind: InventoryKind, name: string): boolean {
  return Object.hasOwn(inv[SECTION[kind]], name);
}

export function loadInventory(file: string): Inventory {
  return parseInventory(YamlSource.read(file));
}

export function parseInventory(source: YamlSource): Inventory {
  const result = source.parseWith(inventorySchema);
  if (!result.ok) throw new CliError('InvalidInput', `invalid inventory:\n${formatProblems(source.file, result.problems)}`);
  return result.value;
}
