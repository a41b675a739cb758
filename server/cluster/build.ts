/**
 * The self-hosted Temporal server and its schema tool, built from the server's Go module into
 * `.tools/`. Go's build and module caches live in the user's cache folder
 * (`$TOURNIQUET_GO_CACHE`, default `~/.cache/tourniquet/go`), so every clone on a machine, CI's
 * fresh one included, rebuilds with a link step instead of a cold build.
 * No registry reachable from CI ships a prebuilt server; `go install` is the way.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Logger } from 'pino';
import { Problem } from '../../common/errors';
import { TOOLS_DIR } from '../../common/paths';
import { TEMPORAL_SERVER_VERSION } from './version';

export { TEMPORAL_SERVER_VERSION };

/** The module needs go >= 1.26.10; the Go module proxy serves this toolchain. */
export const GO_TOOLCHAIN = 'go1.26.10';

export const CLUSTER_BIN_DIR = join(TOOLS_DIR, `temporal-server-${TEMPORAL_SERVER_VERSION}`, 'bin');
const GO_DIR = process.env.TOURNIQUET_GO_CACHE ?? join(homedir(), '.cache', 'tourniquet', 'go');

export interface ClusterBinaries {
  /** `server`: every Temporal service, chosen with `start --service`. */
  server: string;
  /** `sql`: temporal-sql-tool, creates and upgrades the schemas. */
  sql: string;
}

export const CLUSTER_BINARIES: ClusterBinaries = { server: join(CLUSTER_BIN_DIR, 'server'), sql: join(CLUSTER_BIN_DIR, 'sql') };

/** The versioned schema folders of the module, as the official images use them; absent without the module cache. */
export function schemaDirs(): { temporal: string; visibility: string } | undefined {
  const root = join(GO_DIR, 'mod', `go.temporal.io/server@v${TEMPORAL_SERVER_VERSION}`, 'schema', 'postgresql', 'v12');
  const dirs = { temporal: join(root, 'temporal', 'versioned'), visibility: join(root, 'visibility', 'versioned') };
  return existsSync(dirs.temporal) && existsSync(dirs.visibility) ? dirs : undefined;
}

export function clusterBinariesPresent(): boolean {
  return existsSync(CLUSTER_BINARIES.server) && existsSync(CLUSTER_BINARIES.sql);
}

/** Build both binaries unless they are there already (then this is a no-op). */
export async function ensureClusterBinaries(logger: Logger): Promise<ClusterBinaries & { built: boolean; ms: number }> {
  const started = Date.now();
  if (clusterBinariesPresent()) return { ...CLUSTER_BINARIES, built: false, ms: Date.now() - started };
  mkdirSync(CLUSTER_BIN_DIR, { recursive: true });
  const modules = ['cmd/server', 'cmd/tools/sql'].map((m) => `go.temporal.io/server/${m}@v${TEMPORAL_SERVER_VERSION}`);
  logger.info(
    { version: TEMPORAL_SERVER_VERSION, dir: CLUSTER_BIN_DIR },
    'building the Temporal server and schema tool with go install (about 4 minutes cold)',
  );
  const go = await execa('go', ['install', '-ldflags=-s -w', ...modules], {
    reject: false,
    all: true,
    env: {
      GOTOOLCHAIN: GO_TOOLCHAIN,
      GOBIN: CLUSTER_BIN_DIR,
      GOCACHE: join(GO_DIR, 'cache'),
      GOMODCACHE: join(GO_DIR, 'mod'),
      // -modcacherw: the module cache stays deletable by a plain `rm -rf`.
      GOFLAGS: '-buildvcs=false -modcacherw',
    },
  }).catch((err: Error) => ({ exitCode: -1, all: err.message }));
  if (go.exitCode !== 0 || !clusterBinariesPresent()) {
    const tail = (go.all ?? '').trim().split('\n').slice(-5).join('\n  ');
    throw new Problem(
      'StartupFailed',
      `could not build the Temporal server ${TEMPORAL_SERVER_VERSION} (go install exited ${go.exitCode}):\n  ${tail}\n` +
        `It needs Go >= 1.21 on PATH (it fetches ${GO_TOOLCHAIN} through the module proxy) and about 3.5 GB free under ${GO_DIR}.`,
    );
  }
  const ms = Date.now() - started;
  logger.info({ ms }, 'Temporal server built');
  return { ...CLUSTER_BINARIES, built: true, ms };
}
