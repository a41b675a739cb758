/**
 * Snapshot methods as command lines and output parsers, kept apart from the step so unit
 * tests can check exactly what each one would run.
 */
import { basename, dirname, join } from 'node:path';
import type { ActionArgs } from '../../contract';

export type SnapshotArgs = ActionArgs<'snapshotDisk'>;

export const archiveArgv = (file: string, target: string, compression: 'zstd' | 'gzip') => [
  'tar',
  '--create',
  compression === 'zstd' ? '--zstd' : '--gzip',
  '--file',
  file,
  '--directory',
  target,
  '.',
];

export const archiveExtension = (compression: 'zstd' | 'gzip') => (compression === 'zstd' ? 'tar.zst' : 'tar.gz');

/** Where a btrfs snapshot goes: beside the subvolume, unless the step names a folder. */
export function btrfsPath(target: string, destination: string | undefined, snapshotId: string): string {
  return join(destination ?? dirname(target), `${basename(target)}.${snapshotId}`);
}

export const btrfsSnapshotArgv = (target: string, path: string) => ['btrfs', 'subvolume', 'snapshot', '-r', '--', target, path];
export const btrfsShowArgv = (path: string) => ['btrfs', 'subvolume', 'show', '--', path];

/** `btrfs subvolume show`: the UUID, and whether the snapshot is read-only. */
export function parseBtrfsShow(stdout: string): { uuid?: string; readonly: boolean } {
  const uuid = /^\s*UUID:\s*([0-9a-f-]{36})\s*$/m.exec(stdout)?.[1];
  const flags = /^\s*Flags:\s*(.*)$/m.exec(stdout)?.[1] ?? '';
  return { ...(uuid ? { uuid } : {}), readonly: /\breadonly\b/.test(flags) };
}

export const lvmName = (snapshotId: string) => `tq-${snapshotId}`;
export const lvcreateArgv = (volume: string, size: string, name: string) => ['lvcreate', '--snapshot', '--name', name, '--size', size, '--', volume];
export const lvsArgv = (vgAndName: string) => ['lvs', '--noheadings', '--options', 'lv_name,lv_attr,origin', '--', vgAndName];

/** `lvs --noheadings -o lv_name,lv_attr,origin`: a snapshot's attr starts with `s`. */
export function parseLvs(stdout: string): { name: string; snapshot: boolean; origin: string } | undefined {
  const [name, attr, origin] = stdout.trim().split(/\s+/);
  if (!name || !attr) return undefined;
  return { name, snapshot: attr.startsWith('s') || attr.startsWith('S'), origin: origin ?? '' };
}

export const zfsSnapshotArgv = (dataset: string, snapshotId: string) => ['zfs', 'snapshot', `${dataset}@${snapshotId}`];
export const zfsListArgv = (dataset: string, snapshotId: string) => ['zfs', 'list', '-H', '-t', 'snapshot', '-o', 'name,creation', `${dataset}@${snapshotId}`];

/** A command hook's argv with `{snapshotName}` filled in. */
export const hookArgv = (argv: string[], name: string) => argv.map((a) => a.replaceAll('{snapshotName}', name));

/** The snapshot id a hook printed: group 1 (or the match) of `idPattern`; else the name it was given. */
export function hookSnapshotId(stdout: string, idPattern: string | undefined, name: string): string {
  if (!idPattern) return name;
  const m = new RegExp(idPattern, 'm').exec(stdout);
  return (m?.[1] ?? m?.[0] ?? name).trim();
}
