/** supervisord programs through `supervisorctl`. */
import type { ServiceManager } from '../../contract';
import { StepError } from '../errors';
import type { ManagedAdapter, ServiceState } from './adapter';

type Supervisord = Extract<ServiceManager, { kind: 'supervisord' }>;

export function supervisorctl(m: Supervisord, ...args: string[]): string[] {
  return ['supervisorctl', ...(m.configFile ? ['-c', m.configFile] : []), ...(m.serverUrl ? ['-s', m.serverUrl] : []), ...args];
}

/**
 * One line of `supervisorctl status <program>`: `name  RUNNING   pid 42, uptime 0:00:05`,
 * `name  STOPPED   Jan 01 10:00 AM`, or `name: ERROR (no such process)`.
 */
export function parseSupervisorStatus(program: string, stdout: string): ServiceState | undefined {
  for (const line of stdout.split('\n')) {
    const m = /^(\S+)\s+(STOPPED|STARTING|RUNNING|BACKOFF|STOPPING|EXITED|FATAL|UNKNOWN)\b\s*(.*)$/.exec(line.trim());
    if (m && (m[1] === program || m[1]!.endsWith(`:${program}`))) {
      const pid = /\bpid (\d+)/.exec(m[3] ?? '')?.[1];
      return { running: m[2] === 'RUNNING' || m[2] === 'STARTING', detail: `${m[2]} ${m[3]}`.trim(), ...(pid ? { pid: Number(pid) } : {}) };
    }
  }
  return undefined;
}

export function supervisordAdapter(m: Supervisord): ManagedAdapter {
  return {
    label: `supervisord program ${m.program}`,
    statusArgv: supervisorctl(m, 'status', m.program),
    async state(probe) {
      const result = await probe(supervisorctl(m, 'status', m.program));
      const state = parseSupervisorStatus(m.program, result.stdout);
      if (state) return state;
      if (/no such (process|group)/i.test(result.stdout + result.stderr)) throw new StepError('TargetNotFound', `supervisord has no program "${m.program}"`);
      // Not an answer about the program: supervisord down, socket refused, bad config.
      throw new StepError(
        'CommandFailed',
        `supervisorctl status ${m.program} exited ${result.exitCode}: ${(result.stdout + result.stderr).trim().slice(0, 300)}`,
      );
    },
    stopArgv: () => supervisorctl(m, 'stop', m.program),
    startArgv: () => supervisorctl(m, 'start', m.program),
    restartArgv: () => supervisorctl(m, 'restart', m.program),
  };
}
