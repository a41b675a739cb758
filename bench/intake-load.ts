/**
 * What bench/intake.ts drives: agents to contain (a `sleep` leading its own process group), the
 * alert poster (C lanes posting to the generic endpoint, retrying 5xx and 429), the same stop in
 * bash, and `tourniquet worker` and `tourniquet intake` each in its own process.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { execa } from 'execa';
import { isAlive } from '../activities/process';
import { PROJECT_ROOT } from '../common/paths';
import type { Answer } from '../intake';

/**
 * Agents to contain: `sleep` leading its own session and process group (its pid is also its
 * group id), started by a small bash of their own. Forking from this benchmark's big Node
 * process costs ~15 ms of its CPU each, which would be counted as the intake's.
 */
export interface AgentFactory {
  start(): Promise<number>;
  close(): void;
}

export function agentFactory(): AgentFactory {
  // `setsid` execs in place here: a background job of a shell without job control does not lead its group.
  const script = 'while read -r _; do setsid sleep 600 </dev/null >/dev/null 2>&1 & echo $!; done';
  const bash = spawn('bash', ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting: ((pid: number) => void)[] = [];
  let buffered = '';
  bash.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const pid = Number(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
      waiting.shift()?.(pid);
    }
  });
  return {
    start: () =>
      new Promise<number>((resolve, reject) => {
        if (bash.exitCode !== null) return reject(new Error('the agent starter exited'));
        waiting.push(resolve);
        bash.stdin.write('\n');
      }),
    close: () => bash.stdin.end(),
  };
}

/** bash: kill-and-confirm of the process group `$1`, polling /proc until it is gone (a zombie counts as gone). */
const stop = (pid: string) => `kill -TERM -- "-${pid}"; while read -r _ _ s _ < "/proc/${pid}/stat" 2>/dev/null && [ "$s" != Z ] && [ "$s" != X ]; do :; done`;

/** The incident's stop, for `bash -c <script> <pid>` (bash: dash's kill takes no `--`). */
export const STOP_SCRIPT = stop('$0');

/** bash stopping every agent the same way, one after another: ms from spawning bash to its exit. */
export async function bashStop(pids: number[]): Promise<number> {
  const script = `for p in "$@"; do ${stop('$p')}; done`;
  const started = performance.now();
  await execa('bash', ['-c', script, 'bash', ...pids.map(String)]);
  const took = performance.now() - started;
  const alive = pids.filter((p) => isAlive(p));
  if (alive.length) throw new Error(`bash left ${alive.length} agent(s) alive`);
  return took;
}

/** One key's deliveries: when its first POST went out, which incident took it, how many were answered 202. */
export interface KeyRecord {
  firstPostAt: number;
  incidentId?: string;
  accepted: number;
}

export interface Poster {
  keys: Map<string, KeyRecord>;
  rttMs: number[];
  retries: number;
  /** Deliveries never answered 202 after every try, by reason. */
  failures: Map<string, number>;
  outcomes: Map<string, number>;
  /** POST one alert for `key` (about agent `pid`); resolves once it is answered or given up. */
  deliver(key: string, pid: number): Promise<void>;
}

const TRIES = 5;

export function poster(intake: { url: string }, token: string): Poster {
  const bump = <K>(m: Map<K, number>, k: K) => m.set(k, (m.get(k) ?? 0) + 1);
  const p: Poster = {
    keys: new Map(),
    rttMs: [],
    retries: 0,
    failures: new Map(),
    outcomes: new Map(),
    async deliver(key, pid) {
      let record = p.keys.get(key);
      if (!record) p.keys.set(key, (record = { firstPostAt: Date.now(), accepted: 0 }));
      for (let attempt = 1; ; attempt++) {
        const t0 = performance.now();
        let problem: string;
        let retry: boolean;
        try {
          const res = await fetch(`${intake.url}/alerts/generic`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ dedupKey: key, summary: `bench alert ${key}`, labels: { alertname: 'Bench', pid: String(pid) } }),
          });
          const answer = (await res.json()) as Answer | { error: { kind: string } };
          p.rttMs.push(performance.now() - t0);
          if (res.status === 202 && 'matched' in answer && answer.matched && 'incidentId' in answer) {
            bump(p.outcomes, answer.outcome);
            record.accepted++;
            record.incidentId = answer.incidentId;
            return;
          }
          retry = res.status >= 500 || res.status === 429;
          problem = 'error' in answer ? answer.error.kind : `HTTP ${res.status}`;
        } catch (err) {
          retry = true;
          problem = (err as Error).message;
        }
        if (!retry || attempt === TRIES) {
          bump(p.failures, problem);
          return;
        }
        p.retries++;
        await new Promise((r) => setTimeout(r, 200 * 2 ** (attempt - 1)));
      }
    },
  };
  return p;
}

/** Run `jobs` with `lanes` of them in flight at once. */
export async function inLanes(jobs: (() => Promise<void>)[], lanes: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(lanes, jobs.length) }, async () => {
      for (let i = next++; i < jobs.length; i = next++) await jobs[i]!();
    }),
  );
}

/**
 * Start `jobs` at `perSecond`, whether or not earlier ones have finished (an alert source does not
 * wait for the intake), with at most `maxInFlight` unfinished; resolves once all have finished.
 * Returns how long the last start came after its due time: how far the rate was not held.
 */
export async function atRate(jobs: (() => Promise<void>)[], perSecond: number, maxInFlight: number): Promise<number> {
  const t0 = performance.now();
  const running = new Set<Promise<void>>();
  let lateMs = 0;
  for (const [i, job] of jobs.entries()) {
    const due = t0 + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    while (running.size >= maxInFlight) await Promise.race(running);
    lateMs = Math.max(0, performance.now() - due);
    const run: Promise<void> = job().finally(() => running.delete(run));
    running.add(run);
  }
  await Promise.all(running);
  return lateMs;
}

/** Deterministic shuffle (mulberry32), so runs post in the same order. */
export function shuffled<T>(items: T[], seed = 6): T[] {
  let a = seed;
  const random = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export interface TourniquetProcess {
  pid: number;
  stop(): Promise<void>;
}

/**
 * `tourniquet <args>` in its own process, as it runs in production, its output in `logFile`;
 * resolves once `ready()` says so (polled every 250 ms, for up to 120 s).
 */
async function startTourniquet(args: string[], env: Record<string, string>, logFile: string, ready: () => Promise<boolean>): Promise<TourniquetProcess> {
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'tourniquet.js'), ...args], {
    env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`tourniquet ${args[0]} exited during start-up; see ${logFile}`);
    if (await ready()) break;
    if (Date.now() > deadline) throw new Error(`tourniquet ${args[0]} was not ready within 120 s; see ${logFile}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * `tourniquet worker`: the intake and the poster do not share an event loop with the
 * activities. Ready once it polls the task queue.
 */
export function startWorkerProcess(client: Client, address: string, taskQueue: string, home: string, logFile: string): Promise<TourniquetProcess> {
  const env = { TEMPORAL_ADDRESS: address, TOURNIQUET_TASK_QUEUE: taskQueue, TOURNIQUET_HOME: home };
  return startTourniquet(['worker'], env, logFile, async () => {
    // The task queue type defaults to workflow: a worker polling it has finished starting.
    const r = await client.workflowService.describeTaskQueue({ namespace: client.options.namespace, taskQueue: { name: taskQueue } });
    return (r.pollers?.length ?? 0) > 0;
  });
}

/**
 * `tourniquet intake`, so its CPU is its own and not the poster's. Ready once `GET /healthz`
 * answers.
 */
export async function startIntakeProcess(o: {
  address: string;
  taskQueue: string;
  port: number;
  routes: string;
  templates: string;
  env: Record<string, string>;
  logFile: string;
}): Promise<TourniquetProcess & { url: string }> {
  const url = `http://127.0.0.1:${o.port}`;
  const args = ['intake', '--routes', o.routes, '--templates', o.templates, '--port', String(o.port)];
  const env = { ...o.env, TEMPORAL_ADDRESS: o.address, TOURNIQUET_TASK_QUEUE: o.taskQueue };
  const started = await startTourniquet(args, env, o.logFile, () =>
    fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    ),
  );
  return { ...started, url };
}
