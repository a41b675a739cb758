/**
 * snapshotDisk: preserve the current state before anything changes it. Methods: a directory
 * archive (tar + zstd), a read-only btrfs snapshot, an LVM snapshot, a ZFS snapshot, and a
 * command hook for cloud CLIs. The snapshot id is derived from the incident run and step, so a
 * retry finds what an earlier attempt made instead of making a second one.
 */
import { existsSync, mkdirSync, realpathSync, renameSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PlannedEffect, StepResult } from '../../contract';
import type { ActivityDeps, CommandResult } from '../deps';
import { StepError } from '../errors';
import { sha256, sha256File } from '../../common/hash';
import { incidentDir, type StepKey } from '../journal';
import { defineStep, withHeartbeat, type StepIO } from '../step';
import * as m from './methods';

export interface SnapshotData {
  snapshotId: string;
  method: m.SnapshotArgs['method'];
  /** The directory this snapshot preserves (what restoreBackup checks against), when known. */
  target?: string;
  /** Where it is: an archive file, a subvolume path, `vg/lv`, `dataset@snap`, a provider id. */
  location: string;
  archive?: string;
  sha256?: string;
  bytes?: number;
  /** btrfs: the snapshot subvolume's UUID. */
  uuid?: string;
}

const snapshotIdOf = (key: StepKey) => `snap-${sha256(`${key.workflowId}/${key.runId}/${key.stepId}`).slice(0, 12)}`;

function existingDir(path: string): string {
  try {
    const real = realpathSync(path);
    if (!statSync(real).isDirectory()) throw new StepError('InvalidArguments', `snapshot target ${real} is not a directory`);
    return real;
  } catch (err) {
    if (err instanceof StepError) throw err;
    throw new StepError('TargetNotFound', `snapshot target ${path} does not exist`);
  }
}

function check(result: CommandResult, what: string): CommandResult {
  if (result.exitCode !== 0) throw new StepError('CommandFailed', `${what} exited ${result.exitCode}: ${result.stderr.trim().slice(0, 300)}`);
  return result;
}

/** `auto` compression: zstd where the zstd program runs here, gzip otherwise. */
async function compressionOf(deps: ActivityDeps, wanted: 'auto' | 'zstd' | 'gzip'): Promise<'zstd' | 'gzip'> {
  if (wanted !== 'auto') return wanted;
  return (await deps.run(['zstd', '--version'], { timeoutMs: 10_000 })).exitCode === 0 ? 'zstd' : 'gzip';
}

async function plan(deps: ActivityDeps, args: m.SnapshotArgs, key: StepKey): Promise<PlannedEffect[]> {
  const id = snapshotIdOf(key);
  const dir = join(incidentDir(deps.home, key.workflowId), 'snapshots');
  switch (args.method) {
    case 'archive': {
      existingDir(args.target);
      const compression = await compressionOf(deps, args.compression);
      return [
        { kind: 'command', detail: `run ${JSON.stringify(m.archiveArgv(join(dir, `${id}.${m.archiveExtension(compression)}`), args.target, compression))}` },
      ];
    }
    case 'btrfs': {
      const target = existingDir(args.target);
      return [{ kind: 'command', detail: `run ${JSON.stringify(m.btrfsSnapshotArgv(target, m.btrfsPath(target, args.destination, id)))}` }];
    }
    case 'lvm':
      return [{ kind: 'command', detail: `run ${JSON.stringify(m.lvcreateArgv(args.volume, args.size, m.lvmName(id)))}` }];
    case 'zfs':
      return [{ kind: 'command', detail: `run ${JSON.stringify(m.zfsSnapshotArgv(args.dataset, id))}` }];
    case 'command':
      return [{ kind: 'command', detail: `run ${JSON.stringify(m.hookArgv(args.argv, `tourniquet-${id}`))}` }];
  }
}

async function take(deps: ActivityDeps, io: StepIO, args: m.SnapshotArgs): Promise<SnapshotData> {
  const snapshotId = snapshotIdOf(io.key);
  const run = (argv: string[]) => withHeartbeat(io, deps.run(argv, { signal: io.signal }));
  switch (args.method) {
    case 'archive': {
      const target = existingDir(args.target);
      const dir = join(incidentDir(deps.home, io.key.workflowId), 'snapshots');
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      // A retry keeps the compression of the archive an earlier attempt published.
      const published = (['zstd', 'gzip'] as const).find((c) => existsSync(join(dir, `${snapshotId}.${m.archiveExtension(c)}`)));
      const compression = published ?? (await compressionOf(deps, args.compression));
      const archive = join(dir, `${snapshotId}.${m.archiveExtension(compression)}`);
      if (!existsSync(archive)) {
        // Built under another name and renamed: an archive under the final name is always whole.
        const partial = `${archive}.partial-${Date.now()}`;
        check(await run(m.archiveArgv(partial, target, compression)), 'tar');
        renameSync(partial, archive);
      }
      return { snapshotId, method: 'archive', target, location: archive, archive, sha256: await sha256File(archive), bytes: statSync(archive).size };
    }
    case 'btrfs': {
      const target = existingDir(args.target);
      const path = m.btrfsPath(target, args.destination, snapshotId);
      // The path is this step's own: if it is a subvolume already, an earlier attempt made it.
      if ((await run(m.btrfsShowArgv(path))).exitCode !== 0) check(await run(m.btrfsSnapshotArgv(target, path)), 'btrfs subvolume snapshot');
      const shown = m.parseBtrfsShow(check(await run(m.btrfsShowArgv(path)), 'btrfs subvolume show').stdout);
      if (!shown.readonly) throw new StepError('VerificationFailed', `btrfs snapshot ${path} is not read-only`);
      return { snapshotId, method: 'btrfs', target, location: path, ...(shown.uuid ? { uuid: shown.uuid } : {}) };
    }
    case 'lvm': {
      const name = m.lvmName(snapshotId);
      const vg = args.volume.split('/')[0]!;
      if ((await run(m.lvsArgv(`${vg}/${name}`))).exitCode !== 0) check(await run(m.lvcreateArgv(args.volume, args.size, name)), 'lvcreate');
      const lv = m.parseLvs(check(await run(m.lvsArgv(`${vg}/${name}`)), 'lvs').stdout);
      if (!lv?.snapshot) throw new StepError('VerificationFailed', `${vg}/${name} is not an LVM snapshot`);
      return { snapshotId, method: 'lvm', ...(args.target ? { target: resolve(args.target) } : {}), location: `${vg}/${name}` };
    }
    case 'zfs': {
      if ((await run(m.zfsListArgv(args.dataset, snapshotId))).exitCode !== 0) check(await run(m.zfsSnapshotArgv(args.dataset, snapshotId)), 'zfs snapshot');
      check(await run(m.zfsListArgv(args.dataset, snapshotId)), 'zfs list');
      return { snapshotId, method: 'zfs', ...(args.target ? { target: resolve(args.target) } : {}), location: `${args.dataset}@${snapshotId}` };
    }
    case 'command': {
      // The name is derived from the step, so a provider that refuses duplicate names makes a
      // retry after a lost answer harmless.
      const name = `tourniquet-${snapshotId}`;
      io.markPending({ name });
      const result = check(await run(m.hookArgv(args.argv, name)), args.argv[0]!);
      const id = m.hookSnapshotId(result.stdout, args.idPattern, name);
      return { snapshotId: id, method: 'command', ...(args.target ? { target: resolve(args.target) } : {}), location: id };
    }
  }
}

export function snapshotActivities(deps: ActivityDeps) {
  const snapshotDisk = defineStep(deps, 'snapshotDisk', {
    plan: (args, key) => plan(deps, args, key),
    run: async (io, args): Promise<StepResult> => {
      const data = await take(deps, io, args);
      return {
        summary: `${args.method} snapshot ${data.snapshotId} of ${data.target ?? data.location}${data.bytes !== undefined ? ` (${data.bytes} bytes)` : ''}`,
        data: { ...data },
      };
    },
  });
  return { snapshotDisk };
}
