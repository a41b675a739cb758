/**
 * The worker's command runner: every command goes through one small helper process
 * (helper.js), which runs it with execa exactly as `execaRunner` would here. Why: starting a
 * program forks the process that starts it, and forking the worker (600 MiB and more with a
 * full incident cache) costs 9–30 ms of its main thread each time, during which no activity
 * and no poll of the worker moves; forking the helper costs about 2 ms, and not the worker's.
 *
 * The helper starts with the first command, is shared by every worker in the process, never
 * keeps the process alive when idle, and ends when the process does (its stdin closes). If it
 * dies, the commands it was running are reported as errors (their outcome is unknown: a retry
 * meets the step's journal) and the next command starts a new helper.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { PROJECT_ROOT } from '../../common/paths';
import type { CommandRunner } from '../deps';
import { commandResult, type ExecaOutcome } from './execa';

export { execaRunner } from './execa';

const HELPER_PATH = join(PROJECT_ROOT, 'activities', 'runner', 'helper.js');

interface Waiting {
  resolve(outcome: ExecaOutcome): void;
  reject(err: Error): void;
}

class Helper {
  private readonly child: ChildProcessByStdio<Writable, Readable, null>;
  private readonly waiting = new Map<number, Waiting>();
  private next = 1;
  alive = true;

  constructor() {
    // The helper is plain JavaScript: whatever NODE_OPTIONS loads into the worker (a TypeScript
    // loader, a profiler) it does not need. Its commands get the worker's environment whole.
    const { NODE_OPTIONS: _, ...env } = process.env;
    this.child = spawn(process.execPath, [HELPER_PATH], { stdio: ['pipe', 'pipe', 'inherit'], env });
    this.child.stdin.on('error', () => undefined); // a dead helper is reported by 'exit'
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const answer = JSON.parse(line) as ExecaOutcome & { id: number };
      const waiting = this.waiting.get(answer.id);
      this.waiting.delete(answer.id);
      this.settleRef();
      waiting?.resolve(answer);
    });
    const gone = (why: string) => {
      this.alive = false;
      for (const w of this.waiting.values()) w.reject(new Error(`the command helper ${why}: the command's outcome is unknown`));
      this.waiting.clear();
      this.settleRef();
    };
    this.child.on('error', (err) => gone(`could not start (${err.message})`));
    // 'close', not 'exit': answers it wrote before it died are read first.
    this.child.on('close', (code, signal) => gone(`exited (${signal ?? `code ${code}`})`));
    this.settleRef();
  }

  /** Keep the process alive while a command runs, and only then. */
  private settleRef(): void {
    // The process handle too: its exit is what reports a helper that died mid-command.
    const busy = this.waiting.size > 0;
    for (const handle of [this.child, ...([this.child.stdin, this.child.stdout] as unknown as Socket[])]) {
      if (busy) handle.ref();
      else handle.unref();
    }
  }

  run(
    request: { file: string; args: string[]; env: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number },
    signal?: AbortSignal,
  ): Promise<ExecaOutcome> {
    const id = this.next++;
    return new Promise<ExecaOutcome>((resolve, reject) => {
      const cancel = () => this.send({ id, op: 'cancel' });
      this.waiting.set(id, {
        resolve: (outcome) => {
          signal?.removeEventListener('abort', cancel);
          resolve(outcome);
        },
        reject: (err) => {
          signal?.removeEventListener('abort', cancel);
          reject(err);
        },
      });
      this.settleRef();
      this.send({ id, op: 'run', ...request });
      if (signal?.aborted) cancel();
      else signal?.addEventListener('abort', cancel, { once: true });
    });
  }

  private send(message: object): void {
    this.child.stdin.write(`${JSON.stringify(message)}\n`);
  }
}

let helper: Helper | undefined;

export const helperRunner: CommandRunner = async (argv, options = {}) => {
  const [file, ...args] = argv;
  if (!file) throw new Error('empty command');
  if (!helper?.alive) helper = new Helper();
  const started = performance.now();
  const outcome = await helper.run(
    {
      file,
      args,
      env: options.env ? { ...process.env, ...options.env } : process.env,
      ...(options.cwd ? { cwd: options.cwd } : {}),
      ...(options.input !== undefined ? { input: options.input } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    },
    options.signal,
  );
  return commandResult(outcome, performance.now() - started);
};
