/**
 * stopService / startService for local processes (pidfile + process group).
 *
 * Stop records how the process was started (argv, cwd) so that the incident can bring back
 * exactly what was running. It does not record the environment: a service's secrets belong
 * in its env file, and restarting with the old environment would resurrect a rotated key.
 */
import { mkdirSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawn } from 'node:child_process';
import type { ActivityDeps } from './deps';
import { StepError } from './errors';
import { incidentDir } from './journal';
import { isAlive, launchRecord, processGroup, readPidfile, signal, sleep, type LaunchRecord } from './process';
import { defineStep } from './step';

interface StopRecord {
  service: string;
  pid: number;
  launch: LaunchRecord;
}

export function serviceActivities(deps: ActivityDeps) {
  const stopService = defineStep(deps, 'stopService', {
    plan: (args) => {
      const pid = readPidfile(args.pidfile);
      if (pid === undefined || !isAlive(pid)) return [];
      return [{ kind: 'signal', detail: `send SIGTERM to ${args.service} (pid ${pid}, ${JSON.stringify(launchRecord(pid).argv)}), SIGKILL after ${args.graceMs} ms` }];
    },
    run: async (io, args) => {
      const pid = readPidfile(args.pidfile);
      const earlier = io.pending?.record as StopRecord | undefined;
      if (pid === undefined || !isAlive(pid)) {
        if (earlier) return { summary: `${args.service} stopped (pid ${earlier.pid})`, data: { service: args.service, pid: earlier.pid, wasRunning: true } };
        return { summary: `${args.service} was not running`, data: { service: args.service, wasRunning: false } };
      }
      io.markPending({ service: args.service, pid, launch: launchRecord(pid) } satisfies StopRecord);

      // Signal the whole group when the service leads one, so its children stop too; never
      // our own group, which would take the worker down with it.
      const pgid = processGroup(pid);
      const target = pgid === pid && pgid !== process.pid && pgid !== processGroup(process.pid) ? -pid : pid;
      const started = Date.now();
      signal(target, 'SIGTERM');
      let used: 'SIGTERM' | 'SIGKILL' = 'SIGTERM';
      while (isAlive(pid) && Date.now() - started < args.graceMs) {
        io.heartbeat();
        await sleep(50);
      }
      if (isAlive(pid)) {
        used = 'SIGKILL';
        signal(target, 'SIGKILL');
        for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(50);
      }
      // Trust /proc, not the signal call: the step is done only when the process is gone.
      if (isAlive(pid)) throw new StepError('VerificationFailed', `${args.service} (pid ${pid}) is still alive after SIGKILL`);
      const ms = Date.now() - started;
      return { summary: `stopped ${args.service} (pid ${pid}) with ${used} in ${ms} ms`, data: { service: args.service, pid, signal: used, ms, wasRunning: true } };
    },
  });

  const startService = defineStep(deps, 'startService', {
    plan: (args) => {
      const pid = readPidfile(args.pidfile);
      // In a drill the earlier stop was only planned, so the service usually still runs: say
      // what a live run would start, which is the command line running now.
      const now = pid !== undefined && isAlive(pid) ? ` (now running as pid ${pid}: ${JSON.stringify(launchRecord(pid).argv)})` : '';
      return [{ kind: 'spawn', detail: `start ${args.service} with the command line recorded when this incident stopped it${now}, pid into ${args.pidfile}` }];
    },
    run: async (io, args) => {
      const running = readPidfile(args.pidfile);
      const earlier = io.pending?.record as { pid?: number } | undefined;
      if (running !== undefined && isAlive(running)) {
        // Either an earlier attempt of this step started it (its pid is in our record), or it
        // was already up: in both cases starting another copy would be the second effect.
        const ours = earlier?.pid === running;
        return { summary: `${args.service} running (pid ${running})`, data: { service: args.service, pid: running, startedByThisStep: ours } };
      }
      const stop = findStopRecord(io.journal.all(io.key.workflowId), args.service);
      if (!stop) {
        throw new StepError('TargetNotFound', `no record of stopping "${args.service}" in this incident: add a stopService step for it before this step`);
      }
      const [program, ...rest] = stop.launch.argv;
      if (!program) throw new StepError('TargetNotFound', `the stop record of "${args.service}" has no command line`);

      const logDir = join(incidentDir(deps.home, io.key.workflowId), 'services');
      mkdirSync(logDir, { recursive: true, mode: 0o700 });
      const logFile = join(logDir, `${args.service}.log`);
      const out = openSync(logFile, 'a', 0o600);
      io.markPending({ starting: true });
      const child = spawn(program, rest, {
        cwd: stop.launch.cwd,
        detached: true,
        stdio: ['ignore', out, out],
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/', LANG: process.env.LANG ?? 'C.UTF-8' },
      });
      closeSync(out);
      const pid = child.pid;
      if (pid === undefined) throw new StepError('CommandFailed', `could not start ${program}`);
      // Written in the same tick as the spawn, so a retry finds the pid and does not start twice.
      mkdirSync(dirname(args.pidfile), { recursive: true });
      writeFileSync(args.pidfile, `${pid}\n`);
      io.markPending({ pid });
      child.unref();
      let exit: number | null = null;
      child.once('exit', (code) => (exit = code));
      await sleep(args.settleMs);
      if (!isAlive(pid)) throw new StepError('CommandFailed', `${args.service} exited right after start (code ${exit}); its output is in ${logFile}`);
      return { summary: `started ${args.service} (pid ${pid})`, data: { service: args.service, pid, argv0: program, log: logFile, startedByThisStep: true } };
    },
  });

  return { stopService, startService };
}

function findStopRecord(entries: ReturnType<import('./journal').Journal['all']>, service: string): StopRecord | undefined {
  // The latest stop of this service in the incident: that is the state to bring back.
  const stops = entries.filter((e) => e.action === 'stopService' && (e.record as StopRecord | undefined)?.service === service);
  stops.sort((a, b) => a.at.localeCompare(b.at));
  return stops.at(-1)?.record as StopRecord | undefined;
}
