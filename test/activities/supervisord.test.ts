/** stopService / startService / restart against a real supervisord started by the test. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execaRunner } from '../../activities';
import { sleep } from '../../activities/process';
import { harness, have, tempDir } from '../helpers/activity';

const available = have('supervisord') && have('supervisorctl');
const dir = tempDir('tourniquet-supervisor-');
const configFile = join(dir, 'supervisord.conf');
let daemon: ChildProcess | undefined;

const ctl = (...args: string[]) => execaRunner(['supervisorctl', '-c', configFile, ...args]);
const status = async (program: string) => (await ctl('status', program)).stdout;

before(async () => {
  if (!available) return;
  writeFileSync(
    configFile,
    [
      '[unix_http_server]',
      `file=${join(dir, 'supervisor.sock')}`,
      '[supervisord]',
      `logfile=${join(dir, 'supervisord.log')}`,
      `pidfile=${join(dir, 'supervisord.pid')}`,
      `childlogdir=${dir}`,
      '[rpcinterface:supervisor]',
      'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
      '[supervisorctl]',
      `serverurl=unix://${join(dir, 'supervisor.sock')}`,
      '[program:agent]',
      'command=/bin/sleep 100000',
      'startsecs=1',
      '[program:idle]',
      'command=/bin/sleep 100000',
      'autostart=false',
      '',
    ].join('\n'),
  );
  daemon = spawn('supervisord', ['-n', '-c', configFile], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !/RUNNING/.test(await status('agent')); i++) await sleep(100);
});

after(async () => {
  if (!daemon) return;
  await ctl('shutdown');
  daemon.kill('SIGTERM');
});

describe('supervisord (real supervisord, its own config in a temp dir)', () => {
  const manager = { kind: 'supervisord', program: 'agent', configFile };

  it('stops a program, checks it stopped, and starts it again; the same key twice acts once', async (t) => {
    if (!available) return t.skip('needs supervisord and supervisorctl (Debian package supervisor)');
    const h = harness();
    const plan = await h.call('stopService', 'stop', { service: 'agent', manager }, { plan: true });
    assert.match(plan.summary, /would run \["supervisorctl","-c",".*","stop","agent"\]/);
    assert.match(await status('agent'), /RUNNING/, 'plan mode changed nothing');

    const stop = await h.call('stopService', 'stop', { service: 'agent', manager });
    assert.equal(stop.data?.wasRunning, true);
    assert.match(await status('agent'), /STOPPED/);
    const again = await h.call('stopService', 'stop', { service: 'agent', manager }, { attempt: 2 });
    assert.equal(again.replayed, true);

    const start = await h.call('startService', 'start', { service: 'agent', manager, settleMs: 200 });
    assert.equal(start.data?.startedByThisStep, true);
    assert.match(await status('agent'), /RUNNING/);
    const pid = /pid (\d+)/.exec(await status('agent'))?.[1];
    await h.call('startService', 'start', { service: 'agent', manager, settleMs: 200 }, { attempt: 2 });
    assert.equal(/pid (\d+)/.exec(await status('agent'))?.[1], pid, 'started once');
  });

  it('leaves a program stopped that was not running when the incident found it', async (t) => {
    if (!available) return t.skip('needs supervisord and supervisorctl (Debian package supervisor)');
    const h = harness();
    const idle = { kind: 'supervisord', program: 'idle', configFile };
    assert.equal((await h.call('stopService', 'stop', { service: 'idle', manager: idle })).data?.wasRunning, false);
    assert.equal((await h.call('startService', 'start', { service: 'idle', manager: idle })).data?.startedByThisStep, false);
    assert.match(await status('idle'), /STOPPED/);
  });

  it('says when supervisord does not know the program', async (t) => {
    if (!available) return t.skip('needs supervisord and supervisorctl (Debian package supervisor)');
    await assert.rejects(
      harness().call('stopService', 'stop', { service: 'x', manager: { ...manager, program: 'nope' } }),
      (e: Error & { type?: string }) => e.type === 'TargetNotFound',
    );
  });
});
