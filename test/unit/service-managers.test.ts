import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDockerState } from '../../activities/service/docker';
import { parseSupervisorStatus, supervisorctl } from '../../activities/service/supervisord';
import { parseSystemdShow } from '../../activities/service/systemd';
import { harness } from '../helpers/activity';
import { includes, recorded, startsWith } from '../helpers/recorded';

const show = (active: string, unitFile = 'enabled', load = 'loaded') => ({
  stdout: `LoadState=${load}\nActiveState=${active}\nSubState=x\nUnitFileState=${unitFile}\n`,
});

describe('service manager output parsing', () => {
  it('reads supervisorctl status lines', () => {
    assert.deepEqual(parseSupervisorStatus('agent', 'agent                            RUNNING   pid 42, uptime 0:00:05\n'), {
      running: true,
      detail: 'RUNNING pid 42, uptime 0:00:05',
      pid: 42,
    });
    assert.equal(parseSupervisorStatus('agent', 'agent  STOPPED   Nov 22 10:00 AM\n')?.running, false);
    assert.equal(parseSupervisorStatus('agent', 'workers:agent  EXITED   Nov 22 10:00 AM\n')?.running, false);
    assert.equal(parseSupervisorStatus('agent', 'agent: ERROR (no such process)\n'), undefined);
    assert.deepEqual(supervisorctl({ kind: 'supervisord', program: 'a', configFile: '/c.conf', serverUrl: 'unix:///s' }, 'stop', 'a'), [
      'supervisorctl',
      '-c',
      '/c.conf',
      '-s',
      'unix:///s',
      'stop',
      'a',
    ]);
  });

  it('reads systemctl show and docker inspect', () => {
    assert.deepEqual(parseSystemdShow('ActiveState=active\nUnitFileState=enabled\n'), { ActiveState: 'active', UnitFileState: 'enabled' });
    assert.equal(parseDockerState('{"Status":"running","Running":true,"Paused":false,"Pid":7}').running, true);
    assert.equal(parseDockerState('{"Status":"paused","Running":true,"Paused":true}').running, false);
    assert.equal(parseDockerState('{"Status":"exited","Running":false,"ExitCode":137}').running, false);
  });
});

describe('systemd (recorded command lines; no systemd as PID 1 here)', () => {
  it('stops a user service and starts it again, checking the state each time', async () => {
    let active = 'active';
    const rec = recorded([
      { match: includes('show'), reply: () => show(active) },
      { match: includes('stop'), reply: () => ((active = 'inactive'), {}) },
      { match: includes('start'), reply: () => ((active = 'active'), {}) },
    ]);
    const h = harness({ run: rec.run });
    const manager = { kind: 'systemd', unit: 'openclaw-gateway.service', scope: 'user' };
    const stop = await h.call('stopService', 'stop', { service: 'gateway', manager });
    assert.deepEqual(rec.calls[1], ['systemctl', '--user', 'stop', '--', 'openclaw-gateway.service']);
    assert.deepEqual(stop.data?.undo, { action: 'startService', args: { service: 'gateway', manager } });
    const start = await h.call('startService', 'start', { service: 'gateway', manager, settleMs: 0 });
    assert.ok(rec.calls.some((c) => c.join(' ') === 'systemctl --user start -- openclaw-gateway.service'));
    assert.equal(start.data?.startedByThisStep, true);
    assert.deepEqual(start.data?.undo, { action: 'stopService', args: { service: 'gateway', manager } });
  });

  it('disables a timer with disable --now and re-enables it on start', async () => {
    let state = { active: 'active', file: 'enabled' };
    const rec = recorded([
      { match: includes('show'), reply: () => show(state.active, state.file) },
      { match: includes('disable', '--now'), reply: () => ((state = { active: 'inactive', file: 'disabled' }), {}) },
      { match: includes('enable', '--now'), reply: () => ((state = { active: 'active', file: 'enabled' }), {}) },
    ]);
    const h = harness({ run: rec.run });
    const manager = { kind: 'systemd', unit: 'agent-sync.timer', scope: 'system' };
    const stop = await h.call('stopService', 'stop', { service: 'sync', manager });
    assert.ok(
      rec.calls.some((c) => c.join(' ') === 'systemctl disable --now -- agent-sync.timer'),
      JSON.stringify(rec.calls),
    );
    assert.deepEqual((stop.data?.prior as { enabled: boolean }).enabled, true);
    await h.call('startService', 'start', { service: 'sync', manager, settleMs: 0 });
    assert.ok(rec.calls.some((c) => c.join(' ') === 'systemctl enable --now -- agent-sync.timer'));
  });

  it('a stop called twice with the same key acts once; a unit that was not running is left stopped', async () => {
    let active = 'active';
    const rec = recorded([
      { match: includes('show'), reply: () => show(active) },
      { match: includes('stop'), reply: () => ((active = 'inactive'), {}) },
    ]);
    const h = harness({ run: rec.run });
    const manager = { kind: 'systemd', unit: 'a.service', scope: 'system' };
    await h.call('stopService', 'stop', { service: 'a', manager });
    const again = await h.call('stopService', 'stop', { service: 'a', manager }, { attempt: 2 });
    assert.equal(again.replayed, true);
    assert.equal(rec.calls.filter((c) => c.includes('stop')).length, 1);

    const idle = recorded([{ match: includes('show'), reply: show('inactive', 'disabled') }]);
    const h2 = harness({ run: idle.run });
    const stop = await h2.call('stopService', 'stop', { service: 'b', manager: { ...manager, unit: 'b.service' } });
    assert.equal(stop.data?.wasRunning, false);
    const start = await h2.call('startService', 'start', { service: 'b', manager: { ...manager, unit: 'b.service' } });
    assert.equal(start.data?.startedByThisStep, false);
    assert.ok(!idle.calls.some((c) => c.includes('start')), 'nothing started that was not running');
  });

  it('trusts the state, not the exit code; a unit systemd does not know is TargetNotFound', async () => {
    const stuck = recorded([{ match: includes('show'), reply: show('active') }]);
    const h = harness({ run: stuck.run });
    await assert.rejects(
      h.call('stopService', 'stop', { service: 'a', manager: { kind: 'systemd', unit: 'a.service' }, graceMs: 0 }),
      (e: Error & { type?: string }) => e.type === 'VerificationFailed',
    );
    const missing = recorded([{ match: includes('show'), reply: show('inactive', '', 'not-found') }]);
    await assert.rejects(
      harness({ run: missing.run }).call('stopService', 'stop', { service: 'x', manager: { kind: 'systemd', unit: 'x.service' } }),
      (e: Error & { type?: string; nonRetryable?: boolean }) => e.type === 'TargetNotFound' && e.nonRetryable === true,
    );
  });
});

describe('docker (recorded command lines; no Docker engine here)', () => {
  it('stops with docker stop --time, never rm, and starts it again', async () => {
    let running = true;
    const rec = recorded([
      { match: includes('--format'), reply: () => ({ stdout: JSON.stringify({ Status: running ? 'running' : 'exited', Running: running }) }) },
      { match: startsWith('docker', 'stop'), reply: () => ((running = false), {}) },
      { match: startsWith('docker', 'start'), reply: () => ((running = true), {}) },
    ]);
    const h = harness({ run: rec.run });
    const manager = { kind: 'docker', container: 'openclaw-container' };
    await h.call('stopService', 'stop', { service: 'openclaw', manager, graceMs: 10_000 });
    assert.ok(rec.calls.some((c) => c.join(' ') === 'docker stop --time 10 -- openclaw-container'));
    await h.call('startService', 'start', { service: 'openclaw', manager, settleMs: 0 });
    assert.ok(rec.calls.some((c) => c.join(' ') === 'docker start -- openclaw-container'));
    assert.ok(!rec.calls.some((c) => c.includes('rm')), 'the container is evidence: never removed');
  });

  it('reports a missing container as TargetNotFound, and plans without acting', async () => {
    const rec = recorded([{ match: startsWith('docker', 'inspect'), reply: { exitCode: 1, stderr: 'Error: No such container: ghost' } }]);
    await assert.rejects(
      harness({ run: rec.run }).call('stopService', 'stop', { service: 'g', manager: { kind: 'docker', container: 'ghost' } }),
      (e: Error & { type?: string }) => e.type === 'TargetNotFound',
    );
  });
});
