/**
 * The pieces of an OpenClaw restore (reference §6 #9): which archive, its verification and
 * its extraction into a fresh folder (`openclaw backup verify|restore`), where the backup's
 * state dir sits in that folder, the swap of state dirs, and `openclaw doctor --lint`.
 */
import { chmodSync, cpSync, existsSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenClawGateway } from '../../contract';
import type { ActivityDeps } from '../deps';
import { StepError } from '../errors';
import type { StepIO } from '../step';
import type { Proof } from './oracles';
import { cliEnv } from './shared';

/** The archive named, or the newest `*.tar.gz` of the backups folder. */
export function chooseArchive(g: OpenClawGateway & { archive?: string | undefined; backups?: string | undefined }): string {
  if (g.archive) {
    if (!existsSync(g.archive))
      throw new StepError('TargetNotFound', `${g.gateway}: the backup archive ${g.archive} does not exist: name an archive of openclaw backup create`);
    return g.archive;
  }
  if (!g.backups)
    throw new StepError(
      'TargetNotFound',
      `${g.gateway}: no archive named and no backups folder: set openclaw.${g.gateway}.backups to where openclaw backup create --output writes, or give the step an archive`,
    );
  const archives = existsSync(g.backups)
    ? readdirSync(g.backups)
        .filter((n) => n.endsWith('.tar.gz'))
        .map((n) => join(g.backups!, n))
        .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
    : [];
  if (!archives[0]) throw new StepError('TargetNotFound', `${g.gateway}: no *.tar.gz archive in ${g.backups} (openclaw.${g.gateway}.backups)`);
  return archives[0];
}

async function cli(deps: ActivityDeps, io: StepIO, g: OpenClawGateway, args: string[]) {
  io.heartbeat({ openclaw: args.slice(0, 2).join(' ') });
  return deps.run([g.node, g.openclawEntry, ...args], { signal: io.signal, timeoutMs: 300_000, env: cliEnv(g) });
}

const lastLine = (text: string) => text.trim().split('\n').at(-1) ?? '';

/** `openclaw backup verify`: the archive's manifest, payloads and SQLite snapshots are sound. */
export async function verifyArchive(deps: ActivityDeps, io: StepIO, g: OpenClawGateway, archive: string): Promise<Proof> {
  const result = await cli(deps, io, g, ['backup', 'verify', archive, '--json']);
  if (result.exitCode !== 0)
    throw new StepError(
      'VerificationFailed',
      `${archive} fails openclaw backup verify (${lastLine(result.stderr) || lastLine(result.stdout)}): restore from another archive`,
    );
  return { holds: true, check: `openclaw backup verify ${archive}`, observed: 'verified' };
}

/** `openclaw backup restore --target <fresh folder>`, then the backup's copy of this gateway's state dir in it. */
export async function extractArchive(deps: ActivityDeps, io: StepIO, g: OpenClawGateway, archive: string, target: string): Promise<string> {
  if (!existsSync(target) || readdirSync(target).length === 0) {
    const result = await cli(deps, io, g, ['backup', 'restore', archive, '--target', target, '--json']);
    if (result.exitCode !== 0)
      throw new StepError('CommandFailed', `openclaw backup restore ${archive} failed: ${lastLine(result.stderr) || lastLine(result.stdout)}`);
  }
  const root = readdirSync(target).find((n) => existsSync(join(target, n, 'manifest.json')));
  if (!root) throw new StepError('VerificationFailed', `${target} holds no manifest.json after openclaw backup restore ${archive}`);
  const manifest = JSON.parse(readFileSync(join(target, root, 'manifest.json'), 'utf8')) as {
    paths?: { configPath?: string };
    assets?: { kind: string; sourcePath: string; archivePath: string }[];
  };
  const state = manifest.assets?.find((a) => a.kind === 'state');
  if (!state || state.sourcePath !== g.stateDir)
    throw new StepError(
      'UnsafeActionRefused',
      `${archive} is a backup of ${state?.sourcePath ?? 'no state dir'}, not of ${g.gateway}'s ${g.stateDir}: name an archive of this gateway`,
    );
  if (!g.configPath.startsWith(`${g.stateDir}/`))
    throw new StepError(
      'UnsafeActionRefused',
      `${g.gateway}'s config ${g.configPath} lies outside its state dir: this restore swaps the state dir only; restore the config by hand`,
    );
  return join(target, state.archivePath);
}

/**
 * Put the backup's state in place: the current state dir is moved aside (kept, never deleted:
 * the undo moves it back), the backup's copied in and made private (the extraction leaves it
 * 755, which the security audit calls critical). A retry finds what an earlier attempt did.
 */
export function swapState(stateDir: string, restored: string, aside: string): void {
  if (!existsSync(aside)) {
    if (existsSync(stateDir)) renameSync(stateDir, aside);
  } else if (existsSync(stateDir)) {
    // An earlier attempt moved the state aside and died while copying: keep its partial copy aside too.
    renameSync(stateDir, `${stateDir}.partial-${Date.now()}`);
  }
  cpSync(restored, stateDir, { recursive: true, errorOnExist: true, force: false, preserveTimestamps: true });
  chmodSync(stateDir, 0o700);
}

/** `openclaw doctor --lint --json`: no finding of error severity (warnings, e.g. a plaintext token, are reported). */
export async function lintState(deps: ActivityDeps, io: StepIO, g: OpenClawGateway): Promise<{ proof: Proof; warnings: string[] }> {
  const result = await cli(deps, io, g, ['doctor', '--lint', '--json']);
  let report: { findings?: { checkId: string; severity: string }[] } | undefined;
  try {
    report = JSON.parse(result.stdout) as typeof report;
  } catch {
    throw new StepError('CommandFailed', `openclaw doctor --lint --json gave no report (exit ${result.exitCode}): ${lastLine(result.stderr)}`);
  }
  const findings = report?.findings ?? [];
  const blocking = findings.filter((f) => f.severity === 'error' || f.severity === 'critical');
  return {
    proof: {
      holds: blocking.length === 0,
      check: 'openclaw doctor --lint reports no error or critical finding',
      observed: blocking.length ? `blocking: ${blocking.map((f) => f.checkId).join(', ')}` : `${findings.length} warning(s)`,
    },
    warnings: findings.filter((f) => !blocking.includes(f)).map((f) => f.checkId),
  };
}

/** The state dir is private (0700). */
export function stateDirPrivate(stateDir: string): Proof {
  const mode = existsSync(stateDir) ? statSync(stateDir).mode & 0o777 : undefined;
  return { holds: mode === 0o700, check: `${stateDir} has mode 700`, observed: mode === undefined ? 'missing' : mode.toString(8) };
}
