/**
 * systemd units through `systemctl [--user]`. A timer is frozen with `disable --now` (a timer
 * only stopped would be started again at the next boot) and re-enabled on start if it was.
 */
import type { ServiceManager } from '../../contract';
import { StepError } from '../errors';
import type { ManagedAdapter, ServiceState } from './adapter';

type Systemd = Extract<ServiceManager, { kind: 'systemd' }>;

export function systemctl(m: Systemd, ...args: string[]): string[] {
  return ['systemctl', ...(m.scope === 'user' ? ['--user'] : []), ...args];
}

/** `systemctl show <unit> --property=…` prints `Key=Value` lines. */
export function parseSystemdShow(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

export function systemdAdapter(m: Systemd): ManagedAdapter {
  const timer = m.unit.endsWith('.timer');
  return {
    label: `systemd unit ${m.unit}${m.scope === 'user' ? ' (user)' : ''}`,
    statusArgv: systemctl(m, 'status', '--no-pager', '--full', '--', m.unit),
    async state(probe): Promise<ServiceState> {
      const result = await probe(
        systemctl(
          m,
          'show',
          '--property=LoadState',
          '--property=ActiveState',
          '--property=SubState',
          '--property=UnitFileState',
          '--property=MainPID',
          '--',
          m.unit,
        ),
      );
      const p = parseSystemdShow(result.stdout);
      if (result.exitCode !== 0 || !p.ActiveState) {
        throw new StepError('CommandFailed', `systemctl show ${m.unit} exited ${result.exitCode}: ${result.stderr.trim().slice(0, 300)}`);
      }
      if (p.LoadState === 'not-found') throw new StepError('TargetNotFound', `systemd has no unit ${m.unit}${m.scope === 'user' ? ' for this user' : ''}`);
      const running = p.ActiveState === 'active' || p.ActiveState === 'activating' || p.ActiveState === 'reloading';
      const pid = Number(p.MainPID ?? 0);
      return {
        running,
        ...(pid > 0 ? { pid } : {}),
        enabled: p.UnitFileState === 'enabled',
        detail: `ActiveState=${p.ActiveState} SubState=${p.SubState ?? ''} UnitFileState=${p.UnitFileState ?? ''}`,
      };
    },
    stopArgv: () => (timer ? systemctl(m, 'disable', '--now', '--', m.unit) : systemctl(m, 'stop', '--', m.unit)),
    startArgv: (prior) => (timer && prior?.enabled !== false ? systemctl(m, 'enable', '--now', '--', m.unit) : systemctl(m, 'start', '--', m.unit)),
    restartArgv: () => systemctl(m, 'restart', '--', m.unit),
  };
}
