/**
 * Workers as separate processes (`tourniquet worker`), the way they run in production, so a
 * test can SIGKILL one in the middle of a step and start another: what a crash really is,
 * which a worker inside the test process cannot show.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../common/paths';

export interface WorkerProcesses {
  /** Start one more worker on the queue. */
  start(): ChildProcess;
  /** SIGKILL one and wait until it is gone. */
  kill(child: ChildProcess): Promise<void>;
  /** SIGKILL every worker still running (for `after`). */
  killAll(): Promise<void>;
}

export interface WorkerProcessOptions {
  address: string;
  home: string;
  taskQueue: string;
  /** Append every worker's log here (debug level); by default errors go to the test's stderr. */
  logFile?: string;
}

export function workerProcesses(o: WorkerProcessOptions): WorkerProcesses {
  const started: ChildProcess[] = [];
  const running = () => started.filter((w) => w.exitCode === null && w.signalCode === null);
  const kill = async (child: ChildProcess) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };
  return {
    start() {
      const log = o.logFile ? openSync(o.logFile, 'a') : 'inherit';
      const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'tourniquet.js'), 'worker'], {
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: o.address,
          TOURNIQUET_HOME: o.home,
          TOURNIQUET_TASK_QUEUE: o.taskQueue,
          LOG_LEVEL: o.logFile ? 'debug' : 'error',
        },
        // The worker logs to stderr.
        stdio: ['ignore', 'ignore', log],
      });
      if (typeof log === 'number') closeSync(log);
      started.push(child);
      return child;
    },
    kill,
    async killAll() {
      await Promise.all(running().map(kill));
    },
  };
}
