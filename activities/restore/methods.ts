/**
 * Restore sources: how each method fills a staging folder with the tree to restore, and how
 * that tree is verified before it replaces anything.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ActionArgs } from '../../contract';
import type { ActivityDeps, CommandResult } from '../deps';
import { StepError } from '../errors';
import { sha256File, treeDigest } from '../../common/hash';
import { withHeartbeat, type StepIO } from '../step';

export type RestoreArgs = ActionArgs<'restoreBackup'>;

export const tarExtractArgv = (archive: string, dir: string) => ['tar', '--extract', '--file', archive, '--directory', dir];
/** `tar --compare` exits 0 when every member of the archive matches the tree. */
export const tarCompareArgv = (archive: string, dir: string) => ['tar', '--compare', '--file', archive, '--directory', dir];

export function restic(args: Extract<RestoreArgs, { method: 'restic' }>, ...rest: string[]): string[] {
  return ['restic', '--repo', args.repository, '--password-file', args.passwordFile, '--no-cache', ...rest];
}
export function resticRestoreArgv(args: Extract<RestoreArgs, { method: 'restic' }>, inner: string, into: string): string[] {
  return restic(args, 'restore', args.snapshot, '--path', inner, '--include', inner, '--target', into, '--verify');
}

/** What a drill reports, in order. */
export function restoreCommands(args: RestoreArgs, staging: string): string[][] {
  switch (args.method) {
    case 'archive':
      return [tarExtractArgv(args.archive, staging), tarCompareArgv(args.archive, staging)];
    case 'restic':
      return [restic(args, 'check'), resticRestoreArgv(args, args.path ?? args.target, `${staging}.raw`)];
    case 'copy':
      return [['cp', '-a', '--no-target-directory', '--', args.source, staging]];
  }
}

/** Fill `staging` (which must not exist) with the tree to restore and verify it; returns how. */
export async function fillStaging(deps: ActivityDeps, io: StepIO, args: RestoreArgs, staging: string): Promise<string> {
  const run = async (argv: string[], what: string): Promise<CommandResult> => {
    const result = await withHeartbeat(io, deps.run(argv, { signal: io.signal }));
    if (result.exitCode !== 0) throw new StepError('CommandFailed', `${what} exited ${result.exitCode}: ${result.stderr.trim().slice(0, 300)}`);
    return result;
  };
  switch (args.method) {
    case 'archive': {
      if (!existsSync(args.archive)) throw new StepError('TargetNotFound', `backup archive ${args.archive} does not exist`);
      if (args.sha256 && (await sha256File(args.archive)) !== args.sha256) {
        throw new StepError('UnsafeActionRefused', `backup archive ${args.archive} does not match its expected SHA-256; refusing to restore from it`);
      }
      mkdirSync(staging, { recursive: true, mode: 0o700 });
      await run(tarExtractArgv(args.archive, staging), 'tar --extract');
      const compared = await withHeartbeat(io, deps.run(tarCompareArgv(args.archive, staging), { signal: io.signal }));
      if (compared.exitCode !== 0)
        throw new StepError('VerificationFailed', `the extracted tree differs from ${args.archive}: ${compared.stdout.trim().slice(0, 300)}`);
      return 'tar --compare: every archive member matches';
    }
    case 'restic': {
      const inner = args.path ?? args.target;
      await run(restic(args, 'check'), 'restic check');
      const raw = `${staging}.raw`;
      rmSync(raw, { recursive: true, force: true });
      const restored = await run(resticRestoreArgv(args, inner, raw), 'restic restore');
      const tree = join(raw, inner);
      if (!existsSync(tree)) throw new StepError('TargetNotFound', `restic snapshot ${args.snapshot} of ${args.repository} has no ${inner}`);
      renameSync(tree, staging);
      rmSync(raw, { recursive: true, force: true });
      const verified = /finished verifying (\d+) files/.exec(restored.stdout + restored.stderr)?.[1];
      return `restic check passed; restore --verify checked ${verified ?? 'all'} file(s)`;
    }
    case 'copy': {
      if (!existsSync(args.source)) throw new StepError('TargetNotFound', `restore source ${args.source} does not exist`);
      await run(['cp', '-a', '--no-target-directory', '--', args.source, staging], 'cp -a');
      const [want, got] = await Promise.all([treeDigest(args.source), treeDigest(staging)]);
      const differ = [...want].filter(([path, sum]) => got.get(path) !== sum).map(([path]) => path);
      if (differ.length || want.size !== got.size)
        throw new StepError('VerificationFailed', `the copied tree differs from ${args.source}: ${differ.slice(0, 5).join(', ')}`);
      return `sha256 of ${want.size} file(s) match ${args.source}`;
    }
  }
}

export function sourceOf(args: RestoreArgs): string {
  switch (args.method) {
    case 'archive':
      return args.archive;
    case 'restic':
      return `restic ${args.repository} ${args.snapshot}:${args.path ?? args.target}`;
    case 'copy':
      return args.source;
  }
}
