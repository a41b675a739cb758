/** Docker containers: `docker stop` and `docker start`, never `docker rm` (the container is evidence). */
import type { ServiceManager } from '../../contract';
import { StepError } from '../errors';
import type { ManagedAdapter, ServiceState } from './adapter';

type Docker = Extract<ServiceManager, { kind: 'docker' }>;

/** `docker inspect --format '{{json .State}}'` output. */
export function parseDockerState(stdout: string): ServiceState {
  const s = JSON.parse(stdout.trim()) as { Status?: string; Running?: boolean; Paused?: boolean; Pid?: number; ExitCode?: number };
  // No `pid`: the daemon's pid may belong to another pid namespace than the worker's /proc.
  return { running: s.Running === true && s.Paused !== true, detail: `Status=${s.Status ?? '?'} Pid=${s.Pid ?? 0} ExitCode=${s.ExitCode ?? ''}` };
}

export function dockerAdapter(m: Docker): ManagedAdapter {
  return {
    label: `docker container ${m.container}`,
    statusArgv: ['docker', 'inspect', '--type', 'container', '--', m.container],
    async state(probe) {
      const result = await probe(['docker', 'inspect', '--type', 'container', '--format', '{{json .State}}', '--', m.container]);
      if (result.exitCode !== 0) {
        if (/no such (container|object)/i.test(result.stderr)) throw new StepError('TargetNotFound', `docker has no container ${m.container}`);
        throw new StepError('CommandFailed', `docker inspect ${m.container} exited ${result.exitCode}: ${result.stderr.trim().slice(0, 300)}`);
      }
      return parseDockerState(result.stdout);
    },
    stopArgv: (graceMs) => ['docker', 'stop', '--time', String(Math.ceil(graceMs / 1000)), '--', m.container],
    startArgv: () => ['docker', 'start', '--', m.container],
    restartArgv: (graceMs) => ['docker', 'restart', '--time', String(Math.ceil(graceMs / 1000)), '--', m.container],
  };
}
