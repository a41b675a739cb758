/**
 * The worker's command runner (activities/runner): commands run in the command helper, a small
 * process of its own, and come back as execa would report them in the worker.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { execaRunner, helperRunner } from '../../activities';
import { PROJECT_ROOT } from '../../common/paths';
import { isAlive } from '../../activities/process';

/** The helper's pid: the parent of a command it starts. */
async function helperPid(): Promise<number> {
  const r = await helperRunner(['sh', '-c', 'echo $PPID']);
  return Number(r.stdout);
}

describe('command runner (the command helper)', () => {
  it('forks commands from the helper, not from this process', async () => {
    const pid = await helperPid();
    assert.ok(pid > 0 && pid !== process.pid, `commands' parent ${pid}, this process ${process.pid}`);
    assert.equal(await helperPid(), pid, 'one helper for every command');
  });

  it('reports what execa in this process reports: exit code, output, input, folder, environment, failures to start', async () => {
    const cases: [readonly string[], Parameters<typeof helperRunner>[1]][] = [
      [['sh', '-c', 'printf "out\\n"; printf "err\\r\\n" >&2; exit 3'], {}],
      [['cat'], { input: 'line one\nline two\n' }],
      [['pwd'], { cwd: '/tmp' }],
      [['sh', '-c', 'echo "$ADDED $HOME"'], { env: { ADDED: 'yes' } }],
      [['no-such-program-tourniquet', 'an arg'], {}],
      [['sh', '-c', 'kill -9 $$'], {}],
    ];
    for (const [argv, options] of cases) {
      const [here, there] = [await execaRunner(argv, options), await helperRunner(argv, options)];
      const facts = (r: typeof here) => ({ exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr.replace(' (Forced termination)', '') });
      assert.deepEqual(facts(there), facts(here), argv.join(' '));
    }
    const missing = await helperRunner(['pwd'], { cwd: '/no-such-folder-tourniquet' });
    assert.equal(missing.exitCode, -1);
    assert.match(missing.stderr, /the working folder \/no-such-folder-tourniquet does not exist/);
  });

  it('sees the environment as it is when the command runs', async () => {
    process.env.TOURNIQUET_RUNNER_PROBE = 'set-later';
    try {
      assert.equal((await helperRunner(['sh', '-c', 'echo $TOURNIQUET_RUNNER_PROBE'])).stdout, 'set-later');
    } finally {
      delete process.env.TOURNIQUET_RUNNER_PROBE;
    }
  });

  it('stops a command on its timeout and on a cancel, and says which', async () => {
    const timedOut = await helperRunner(['sh', '-c', 'echo $$; exec sleep 30'], { timeoutMs: 300 });
    assert.equal(timedOut.exitCode, -1);
    assert.match(timedOut.stderr, /timed out$/);
    assert.equal(isAlive(Number(timedOut.stdout)), false, 'the timed-out command is gone');

    const cancel = new AbortController();
    const running = helperRunner(['sleep', '30'], { signal: cancel.signal });
    setTimeout(() => cancel.abort(), 300);
    const cancelled = await running;
    assert.deepEqual([cancelled.exitCode, cancelled.stderr], [-1, 'cancelled']);
    assert.ok(cancelled.durationMs < 10_000, `stopped after ${cancelled.durationMs} ms`);
  });

  it('reports a command whose helper died as an error, and starts a new helper for the next one', async () => {
    const before = await helperPid();
    const running = helperRunner(['sleep', '30']);
    process.kill(before, 'SIGKILL');
    await assert.rejects(running, /the command helper exited \(SIGKILL\): the command's outcome is unknown/);
    const after = await helperPid();
    assert.ok(after !== before && isAlive(after), 'a new helper runs the next command');
  });

  it('does not keep its process alive once the commands are done', async () => {
    const script = "import { helperRunner } from './activities/index.ts'; const r = await helperRunner(['echo', 'ran']); console.log(r.stdout);";
    const r = await execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: PROJECT_ROOT, timeout: 60_000, reject: false });
    assert.equal(r.timedOut, false, 'the process exited by itself');
    assert.deepEqual([r.exitCode, r.stdout], [0, 'ran']);
  });
});
