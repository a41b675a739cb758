/**
 * The embedded Temporal server: `temporal server start-dev` with a SQLite file, the Web UI,
 * and tourniquet's search attributes registered. Started and stopped by this process.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { spawn } from 'node:child_process';
import { Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import { Problem } from '../common/errors';
import { SEARCH_ATTRIBUTES } from '../contract';
import { portAccepts } from '../common/probe';

export interface DevServerOptions {
  cliPath: string;
  /** SQLite file: incidents survive a restart of the server. */
  dbFile: string;
  port: number;
  /** Web UI port, or `false` for none. */
  uiPort: number | false;
  namespace?: string;
  /** Where the server's own output goes. */
  logFile: string;
  logger: Logger;
  startupTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl: string | undefined;
  pid: number;
  stop(): Promise<void>;
}

export function devServerArgs(o: Pick<DevServerOptions, 'dbFile' | 'port' | 'uiPort' | 'namespace'>): string[] {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(o.port), '--db-filename', o.dbFile, '--log-level', 'warn'];
  if (o.uiPort === false) args.push('--headless');
  else args.push('--ui-port', String(o.uiPort), '--ui-disable-news-fetch');
  if (o.namespace && o.namespace !== 'default') args.push('--namespace', o.namespace);
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  // Workflow updates are off by default on some server versions; keep them on for clients that use them.
  args.push('--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true');
  // The transfer queue's reader defaults to 20 polls/s per shard (one shard here): once its
  // burst is spent every activity and workflow task waits for the next 50 ms slot.
  args.push('--dynamic-config-value', 'history.transferProcessorMaxPollRPS=10000');
  // A timer due sooner than this shift fires this much late at the least (default 1 s): the
  // 1 ms timer that closes a run of local freeze steps held the next step for a second.
  args.push('--dynamic-config-value', 'history.timerProcessorMaxTimeShift="1ms"');
  // Search attributes are registered at start: re-reading them on every request costs database
  // reads per signal-with-start for nothing.
  args.push('--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead=false');
  // WAL keeps synchronous=FULL (SQLite's default), so a commit is as durable as before, with
  // one fsync per commit instead of the rollback journal's several.
  args.push('--sqlite-pragma', 'journal_mode=wal');
  return args;
}

/** How often a start that lost a port race is tried again before it is reported. */
const START_ATTEMPTS = 3;

export async function startDevServer(o: DevServerOptions): Promise<DevServer> {
  const address = `127.0.0.1:${o.port}`;
  if (await portAccepts(o.port)) {
    throw new Problem(
      'StartupFailed',
      `port ${o.port} is already in use. If a tourniquet dev server runs there, point at it with TEMPORAL_ADDRESS=${address}; otherwise set TOURNIQUET_SERVER_PORT to a free port.`,
    );
  }
  mkdirSync(dirname(o.dbFile), { recursive: true, mode: 0o700 });
  mkdirSync(dirname(o.logFile), { recursive: true });
  for (let attempt = 1; ; attempt++) {
    const logFrom = existsSync(o.logFile) ? statSync(o.logFile).size : 0;
    const started = await launch(o, address);
    if (started.ok) return started.server;
    const log = readFrom(o.logFile, logFrom);
    // The server picks its internal ports (history, matching, metrics…) by asking the kernel for a
    // free one and binding it a moment later; another process can take it in between. That start
    // is lost, not wrong: the next one draws new ports. Our own port is still free, or we would
    // not be here twice.
    const lostRace = /address already in use/i.test(log) && !(await portAccepts(o.port));
    if (!lostRace || attempt >= START_ATTEMPTS) {
      const tail = log.trim().split('\n').slice(-5).join('\n');
      throw new Problem('StartupFailed', `the Temporal dev server exited during start-up; see ${o.logFile}${tail ? `. Its last lines:\n${tail}` : ''}`);
    }
    o.logger.warn({ attempt, log: o.logFile }, 'the Temporal dev server lost a port to another process during start-up; starting it again');
  }
}

type Launch = { ok: true; server: DevServer } | { ok: false };

async function launch(o: DevServerOptions, address: string): Promise<Launch> {
  const out = openSync(o.logFile, 'a');
  const child = spawn(o.cliPath, devServerArgs(o), { stdio: ['ignore', out, out] });
  closeSync(out);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exit.then(() => (exited = true));
  // If this process dies, do not leave the server behind holding the port and the database.
  const orphanGuard = () => child.kill('SIGTERM');
  process.once('exit', orphanGuard);

  const deadline = Date.now() + (o.startupTimeoutMs ?? 60_000);
  for (;;) {
    if (exited) {
      process.off('exit', orphanGuard);
      return { ok: false };
    }
    if (await serverAnswers(address)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Problem(
        'StartupFailed',
        `the Temporal dev server did not answer at ${address} within ${(o.startupTimeoutMs ?? 60_000) / 1000}s; see ${o.logFile}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  o.logger.info({ address, ui: o.uiPort, db: o.dbFile }, 'Temporal dev server ready');
  return {
    ok: true,
    server: {
      address,
      uiUrl: o.uiPort === false ? undefined : `http://localhost:${o.uiPort}`,
      pid: child.pid ?? -1,
      async stop() {
        if (exited) return;
        process.off('exit', orphanGuard);
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exit;
        clearTimeout(timer);
      },
    },
  };
}

/** What was appended to `path` from byte `from` on (the server's output of one start). */
function readFrom(path: string, from: number): string {
  try {
    return readFileSync(path).subarray(from).toString('utf8');
  } catch {
    return '';
  }
}

async function serverAnswers(address: string): Promise<boolean> {
  if (!(await portAccepts(Number(address.split(':')[1])))) return false;
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1_000 });
    await connection.workflowService.getSystemInfo({});
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close();
  }
}
