import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { harness } from '../helpers/activity';

describe('smokeTest (real HTTP server) and runCommand (real processes)', () => {
  let server: Server;
  let base = '';
  const methods: string[] = [];
  before(async () => {
    server = createServer((req, res) => {
      methods.push(req.method ?? '');
      res.writeHead(req.url === '/health' ? 200 : 503).end('x');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const addr = server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  });
  after(() => server.close());

  it('passes on the expected status with a GET', async () => {
    const result = await harness().call('smokeTest', 'smoke', { url: `${base}/health` });
    assert.equal(result.data?.status, 200);
    assert.deepEqual(methods, ['GET']);
  });

  it('fails retryably on another status, and on no answer', async () => {
    await assert.rejects(harness().call('smokeTest', 'smoke', { url: `${base}/down` }), (e: Error & { type?: string; nonRetryable?: boolean }) => {
      return e.type === 'VerificationFailed' && e.nonRetryable === false && /answered 503, expected 200/.test(e.message);
    });
    await assert.rejects(harness().call('smokeTest', 'smoke', { url: 'http://127.0.0.1:9/health', timeoutMs: 500 }), (e: Error & { type?: string }) => e.type === 'VerificationFailed');
  });

  it('refuses a URL that is not http(s)', async () => {
    await assert.rejects(harness().call('smokeTest', 'smoke', { url: 'file:///etc/passwd' }), (e: Error & { type?: string }) => e.type === 'InvalidArguments');
  });

  it('runs a command from an argument array, never a shell', async () => {
    const h = harness();
    assert.equal((await h.call('runCommand', 'ok', { argv: ['true'] })).data?.exitCode, 0);
    await assert.rejects(h.call('runCommand', 'bad', { argv: ['false'] }), (e: Error & { type?: string }) => e.type === 'CommandFailed' && /false exited 1/.test(e.message));
    // A shell would expand this; as an argv it is one literal argument to `test`.
    await assert.rejects(h.call('runCommand', 'literal', { argv: ['test', '-e', '/ && true'] }), (e: Error & { type?: string }) => e.type === 'CommandFailed');
    assert.equal((await h.call('runCommand', 'code', { argv: ['sh', '-c', 'exit 3'], expectExitCode: 3 })).data?.exitCode, 3);
  });
});
