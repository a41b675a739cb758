import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CancelledFailure } from '@temporalio/common';
import { Journal } from '../../activities/journal';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { harness, tempDir } from '../helpers/activity';
import { endpoint, type Endpoint } from '../helpers/http';

describe('smokeTest (real HTTP server) and runCommand (real processes)', () => {
  let http: Endpoint;
  let base = '';
  before(async () => {
    http = await endpoint((url) => (url === '/health' ? 200 : 503), 'x');
    base = http.base;
  });
  after(() => http.close());

  it('passes on the expected status with a GET', async () => {
    const result = await harness().call('smokeTest', 'smoke', { url: `${base}/health` });
    assert.equal(result.data?.status, 200);
    assert.deepEqual(
      http.received.map((r) => r.method),
      ['GET'],
    );
  });

  it('fails retryably on another status, and on no answer', async () => {
    await assert.rejects(harness().call('smokeTest', 'smoke', { url: `${base}/down` }), (e: Error & { type?: string; nonRetryable?: boolean }) => {
      return e.type === 'VerificationFailed' && e.nonRetryable === false && /answered 503, expected 200/.test(e.message);
    });
    await assert.rejects(
      harness().call('smokeTest', 'smoke', { url: 'http://127.0.0.1:9/health', timeoutMs: 500 }),
      (e: Error & { type?: string }) => e.type === 'VerificationFailed',
    );
  });

  it('refuses a URL that is not http(s)', async () => {
    await assert.rejects(harness().call('smokeTest', 'smoke', { url: 'file:///etc/passwd' }), (e: Error & { type?: string }) => e.type === 'InvalidArguments');
  });

  it('runs a command from an argument array, never a shell', async () => {
    const h = harness();
    assert.equal((await h.call('runCommand', 'ok', { argv: ['true'] })).data?.exitCode, 0);
    await assert.rejects(
      h.call('runCommand', 'bad', { argv: ['false'] }),
      (e: Error & { type?: string }) => e.type === 'CommandFailed' && /false exited 1/.test(e.message),
    );
    // A shell would expand this; as an argv it is one literal argument to `test`.
    await assert.rejects(h.call('runCommand', 'literal', { argv: ['test', '-e', '/ && true'] }), (e: Error & { type?: string }) => e.type === 'CommandFailed');
    assert.equal((await h.call('runCommand', 'code', { argv: ['sh', '-c', 'exit 3'], expectExitCode: 3 })).data?.exitCode, 3);
  });

  it('checks a body pattern and a latency bound', async () => {
    const h = harness();
    assert.equal((await h.call('smokeTest', 'body', { url: `${base}/health`, bodyPattern: '^x$', maxLatencyMs: 5_000 })).data?.bodyMatched, true);
    await assert.rejects(
      h.call('smokeTest', 'body2', { url: `${base}/health`, bodyPattern: 'healthy' }),
      (e: Error & { type?: string }) => e.type === 'VerificationFailed' && /does not match/.test(e.message),
    );
    await assert.rejects(
      h.call('smokeTest', 'nomatch', { kind: 'command', argv: ['echo', 'up'], outputPattern: 'never' }),
      (e: Error & { type?: string }) => e.type === 'VerificationFailed',
    );
  });

  it('smoke-tests a command by exit code and output pattern', async () => {
    const h = harness();
    const ok = await h.call('smokeTest', 'cmd', { kind: 'command', argv: ['sh', '-c', 'echo status: healthy'], outputPattern: '^status: healthy$' });
    assert.equal(ok.data?.exitCode, 0);
    await assert.rejects(
      h.call('smokeTest', 'cmd2', { kind: 'command', argv: ['false'] }),
      (e: Error & { type?: string }) => e.type === 'VerificationFailed' && /exited 1, expected 0/.test(e.message),
    );
  });

  it('reports the undo a step declares, and refuses to rerun a command an earlier attempt may have run', async () => {
    const h = harness();
    const dir = tempDir();
    const args = { argv: ['sh', '-c', `echo run >> ${join(dir, 'runs')}`], undo: { argv: ['false'] } };
    const result = await h.call('runCommand', 'mark', args);
    assert.equal((await h.call('runCommand', 'mark', args, { attempt: 2 })).replayed, true);
    assert.equal(readFileSync(join(dir, 'runs'), 'utf8'), 'run\n', 'ran once');
    assert.deepEqual(result.data?.undo, { action: 'runCommand', args: { argv: ['false'] } });
    new Journal(h.deps.home).write({
      key: { workflowId: 'inc-test', runId: 'run-1', stepId: 'cut' },
      action: 'runCommand',
      state: 'pending',
      at: new Date().toISOString(),
      record: { running: true },
    });
    await assert.rejects(h.call('runCommand', 'cut', { argv: ['true'] }, { attempt: 2 }), (e: Error & { type?: string }) => e.type === 'UnsafeActionRefused');
    assert.equal((await h.call('runCommand', 'cut', { argv: ['true'], rerunIfInterrupted: true }, { attempt: 3 })).data?.exitCode, 0);
  });

  it('a cancelled step stops its command and reports a cancellation, not a failure', async () => {
    const h = harness();
    const started = Date.now();
    await assert.rejects(h.call('runCommand', 'long', { argv: ['sleep', '30'] }, { cancelAfterMs: 300 }), CancelledFailure);
    await assert.rejects(
      h.call('captureEvidence', 'slow', { commands: [{ name: 'slow.txt', argv: ['sleep', '30'] }] }, { cancelAfterMs: 300 }),
      CancelledFailure,
    );
    assert.ok(Date.now() - started < 10_000, 'the commands were stopped');
  });
});
