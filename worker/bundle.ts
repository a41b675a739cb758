/**
 * The workflow bundle, built ahead of time so a worker starts without webpack: `npm install`
 * builds it (the `prepare` script), `npm run build` rebuilds it. Beside the code sits the
 * digest of every source it was built from; a worker whose sources changed since (an edit, a
 * `git pull`) bundles afresh at start instead of running stale workflow code.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { PROJECT_ROOT, WORKFLOW_BUNDLE_PATH, WORKFLOWS_PATH } from '../common/paths';

/** What the bundle is built from: the workflow code, the contract it imports, and the locked dependencies. */
const SOURCES = ['workflows', 'contract', 'package-lock.json'];
const DIGEST_PATH = `${WORKFLOW_BUNDLE_PATH}.sha256`;

function files(path: string): string[] {
  try {
    return readdirSync(path, { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name))
      .sort();
  } catch {
    return [path];
  }
}

/** The digest of the bundle's sources as they are now. */
export function sourceDigest(): string {
  const hash = createHash('sha256');
  for (const file of SOURCES.flatMap((s) => files(join(PROJECT_ROOT, s)))) {
    hash.update(file.slice(PROJECT_ROOT.length)).update('\0');
    try {
      hash.update(readFileSync(file));
    } catch {
      hash.update('(missing)');
    }
  }
  return hash.digest('hex');
}

/** The prebuilt bundle's path when it matches the sources, else undefined. */
export function freshBundle(): string | undefined {
  try {
    return readFileSync(DIGEST_PATH, 'utf8').trim() === sourceDigest() ? WORKFLOW_BUNDLE_PATH : undefined;
  } catch {
    return undefined;
  }
}

export async function buildWorkflowBundle(): Promise<string> {
  const digest = sourceDigest();
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } });
  mkdirSync(dirname(WORKFLOW_BUNDLE_PATH), { recursive: true });
  writeFileSync(WORKFLOW_BUNDLE_PATH, code);
  writeFileSync(DIGEST_PATH, `${digest}\n`);
  return WORKFLOW_BUNDLE_PATH;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  const path = await buildWorkflowBundle();
  console.log(`workflow bundle: ${path} (${Date.now() - started} ms)`);
}
