import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isAlive, readPidfile, signal, sleep } from '../../activities/process';
import { harness, tempDir } from '../helpers/activity';

/** A real process that ignores SIGTERM when asked to, in its own process group. */
function startProcess(dir: string, ignoreTerm = false): number {
  // The stubborn one says when its handler is in place: SIGTERM before that kills it.
  const script = ignoreTerm
    ? "process.on('SIGTERM', () => {}); require('node:fs').writeFileSync('ready', ''); setInterval(() => {}, 1000)"
    : 'setInterval(() => {}, 1000)';
  const child = spawn(process.execPath, ['-e', script, 'tourniquet-test-service'], { cwd: dir, detached: true, stdio: 'ignore' });
  child.unref();
  writeFileSync(join(dir, 'svc.pid'), `${child.pid}\n`);
  return child.pid!;
}

const started: number[] = [];
after(() => started.forEach((pid) => signal(-pid, 'SIGKILL')));

describe('stopService / startService (process adapter, real processes)', () => {
  it('stops with SIGTERM, confirms it is gone, and starts it again exactly as it ran', async () => {
    const dir = tempDir();
    const pid = startProcess(dir);
    started.push(pid);
    await sleep(200);
    const h = harness();
    const stop = await h.call('stopService', 'stop', { service: 'svc', pidfile: join(dir, 'svc.pid'), graceMs: 2000 });
    assert.equal(isAlive(pid), false);
    assert.equal(stop.data?.signal, 'SIGTERM');
    assert.equal(stop.data?.wasRunning, true);

    const start = await h.call('startService', 'start', { service: 'svc', pidfile: join(dir, 'svc.pid'), settleMs: 200 });
    const newPid = readPidfile(join(dir, 'svc.pid'))!;
    started.push(newPid);
    assert.equal(start.data?.pid, newPid);
    assert.notEqual(newPid, pid);
    assert.ok(isAlive(newPid));
    const cmdline = readFileSync(`/proc/${newPid}/cmdline`, 'utf8').split('\0');
    assert.ok(cmdline.includes('tourniquet-test-service'), 'restarted with the recorded argv');

    // Called again with the same key (a retry): nothing more happens.
    const again = await h.call('startService', 'start', { service: 'svc', pidfile: join(dir, 'svc.pid'), settleMs: 200 }, { attempt: 2 });
    assert.equal(again.replayed, true);
    assert.equal(readPidfile(join(dir, 'svc.pid')), newPid);
  });

  it('escalates to SIGKILL after the grace period', async () => {
    const dir = tempDir();
    const pid = startProcess(dir, true);
    started.push(pid);
    while (!existsSync(join(dir, 'ready'))) await sleep(20);
    const h = harness();
    const stop = await h.call('stopService', 'stop', { service: 'stubborn', pidfile: join(dir, 'svc.pid'), graceMs: 300 });
    assert.equal(stop.data?.signal, 'SIGKILL');
    assert.equal(isAlive(pid), false);
  });

  it('a second stop with the same key changes nothing; a retry after the kill reports the earlier stop', async () => {
    const dir = tempDir();
    const pid = startProcess(dir);
    started.push(pid);
    await sleep(200);
    const h = harness();
    const args = { service: 'svc', pidfile: join(dir, 'svc.pid') };
    await h.call('stopService', 'stop', args);
    const again = await h.call('stopService', 'stop', args, { attempt: 2 });
    assert.equal(again.replayed, true);
    assert.equal(again.data?.pid, pid);
  });

  it('refuses to start a service the incident never stopped', async () => {
    const dir = tempDir();
    const h = harness();
    await assert.rejects(
      h.call('startService', 'start', { service: 'ghost', pidfile: join(dir, 'ghost.pid') }),
      (err: Error & { type?: string; nonRetryable?: boolean }) => {
        assert.equal(err.type, 'TargetNotFound');
        assert.equal(err.nonRetryable, true);
        assert.match(err.message, /add a stopService step/);
        return true;
      },
    );
  });

  it('reports a service that was not running without failing', async () => {
    const dir = tempDir();
    const h = harness();
    const result = await h.call('stopService', 'stop', { service: 'idle', pidfile: join(dir, 'none.pid') });
    assert.equal(result.data?.wasRunning, false);
  });
});
