/** rotateKey's methods against real env files, processes, commands and an HTTP endpoint; the canary never leaks. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { fingerprint } from '../../common/hash';
import { Journal } from '../../activities/journal';
import { isAlive, readPidfile, signal, sleep } from '../../activities/process';
import { readEnvValue } from '../../activities/rotate';
import { harness, tempDir } from '../helpers/activity';
import { endpoint, type Endpoint } from '../helpers/http';

const pids: number[] = [];
after(() => pids.forEach((pid) => signal(-pid, 'SIGKILL')));

/** A logger whose every line the test can read. */
function capturedLogger() {
  const lines: string[] = [];
  return { lines, logger: pino({ level: 'trace' }, { write: (s: string) => void lines.push(s) }) };
}

/** Every file under a folder, as one string: for "the secret is nowhere in here". */
function everything(dir: string): string {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => readFileSync(join(d.parentPath, d.name), 'utf8'))
    .join('\n');
}

/** A service that reads its key at start and records the key's fingerprint. */
function startReader(dir: string, envFile: string): number {
  const script = `const fs=require('fs');const v=fs.readFileSync(process.argv[1],'utf8').match(/AGENT_API_KEY=(.*)/)[1];fs.appendFileSync(process.argv[2],require('crypto').createHash('sha256').update(v).digest('hex').slice(0,16)+'\\n');setInterval(()=>{},1000)`;
  const child = spawn(process.execPath, ['-e', script, envFile, join(dir, 'starts')], { cwd: dir, detached: true, stdio: 'ignore' });
  child.unref();
  writeFileSync(join(dir, 'reader.pid'), `${child.pid}\n`);
  pids.push(child.pid!);
  return child.pid!;
}

describe('rotateKey env-file across several files, restarting what reads it (real processes)', () => {
  it('writes one new value everywhere, restarts the running reader, and the canary is in no log, result, journal or evidence', async () => {
    const dir = tempDir();
    const canary = `sk-live-canary${'0a1b2c3d4e5f'.repeat(3)}`;
    const files = [join(dir, 'gateway.env'), join(dir, 'worker.env')];
    writeFileSync(files[0]!, `AGENT_API_KEY=${canary}\nMODEL=small\n`, { mode: 0o644 });
    writeFileSync(files[1]!, `export AGENT_API_KEY="${canary}"\n`, { mode: 0o644 });
    writeFileSync(join(dir, 'agent.log'), `2026-11-22T11:00:00Z called with ${canary}\n`);
    const pid = startReader(dir, files[0]!);
    // Until it has read its key: on a loaded machine Node takes a while to start.
    for (let i = 0; i < 300 && !existsSync(join(dir, 'starts')); i++) await sleep(50);

    const { lines, logger } = capturedLogger();
    const h = harness({ logger });
    const args = { key: 'AGENT_API_KEY', envFiles: files, restart: [{ service: 'reader', manager: { kind: 'process', pidfile: join(dir, 'reader.pid') } }] };
    const plan = await h.call('rotateKey', 'rotate', args, { plan: true });
    assert.match(plan.summary, /SIGTERM its group and start it again/);
    const result = await h.call('rotateKey', 'rotate', args);

    const values = files.map((f) => readEnvValue(readFileSync(f, 'utf8'), 'AGENT_API_KEY')!);
    assert.equal(values[0], values[1], 'the same new value in both files');
    assert.notEqual(values[0], canary);
    assert.ok(values[0]!.startsWith('sk-live-') && values[0]!.length === canary.length, 'same shape');
    for (const f of files) assert.equal(statSync(f).mode & 0o777, 0o600);
    assert.equal(result.data?.oldFingerprint, fingerprint(canary));
    assert.equal((result.data?.restarts as { restarted: boolean }[])[0]!.restarted, true);
    assert.equal(isAlive(pid), false);
    const newPid = readPidfile(join(dir, 'reader.pid'))!;
    pids.push(newPid);
    const starts = () => readFileSync(join(dir, 'starts'), 'utf8').trim().split('\n').length;
    for (let i = 0; i < 300 && starts() < 2; i++) await sleep(50);
    await sleep(300);
    assert.deepEqual(
      readFileSync(join(dir, 'starts'), 'utf8').trim().split('\n'),
      [fingerprint(canary).slice(7), fingerprint(values[0]!).slice(7)],
      'restarted once, with the new key',
    );

    const again = await h.call('rotateKey', 'rotate', args, { attempt: 2 });
    assert.equal(again.replayed, true);
    assert.equal(readEnvValue(readFileSync(files[0]!, 'utf8'), 'AGENT_API_KEY'), values[0], 'rotated once');

    // Evidence captured after the rotation redacts the old value it finds in a log.
    const evidence = await h.call('captureEvidence', 'evidence', { logs: [{ path: join(dir, 'agent.log') }] });
    const secrets = [canary, values[0]!];
    const places = {
      logs: lines.join('\n'),
      results: JSON.stringify([plan, result, again, evidence]),
      journal: JSON.stringify(new Journal(h.deps.home).all('inc-test')),
      'incident folder (evidence, journal, records)': everything(join(h.deps.home, 'incidents')),
    };
    for (const [where, text] of Object.entries(places)) for (const s of secrets) assert.ok(!text.includes(s), `a secret value in ${where}`);
    assert.ok(places.logs.includes('rotated AGENT_API_KEY'), 'the logs were captured');
  });

  it('a retry after a crash between two file writes recovers the new value from the first file', async () => {
    const dir = tempDir();
    const files = [join(dir, 'a.env'), join(dir, 'b.env')];
    for (const f of files) writeFileSync(f, 'TOKEN=ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n');
    const h = harness();
    const first = await h.call('rotateKey', 'rotate', { key: 'TOKEN', envFiles: files });
    const next = readEnvValue(readFileSync(files[0]!, 'utf8'), 'TOKEN')!;
    // Put the world back to how a worker killed after the first write would have left it.
    writeFileSync(files[1]!, 'TOKEN=ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n');
    const journal = new Journal(h.deps.home);
    const entry = journal.read({ workflowId: 'inc-test', runId: 'run-1', stepId: 'rotate' })!;
    journal.write({ ...entry, state: 'pending', result: undefined });
    const retry = await h.call('rotateKey', 'rotate', { key: 'TOKEN', envFiles: files }, { attempt: 2 });
    assert.equal(readEnvValue(readFileSync(files[1]!, 'utf8'), 'TOKEN'), next);
    assert.equal(retry.data?.newFingerprint, first.data?.newFingerprint);
  });
});

describe('rotateKey hooks (real command, real HTTP endpoint)', () => {
  let http: Endpoint;
  before(async () => {
    http = await endpoint((url) => (url === '/revoke' ? 200 : 500));
  });
  after(() => http.close());

  it('takes the new value from a provider CLI and writes it to the env file; refuses to guess after a crash mid-command', async () => {
    const dir = tempDir();
    const env = join(dir, '.env');
    writeFileSync(env, 'PROVIDER_TOKEN=old-token-value-1234\n');
    const cli = join(dir, 'provider');
    writeFileSync(cli, `#!/bin/sh\necho "$(date +%N)" >> ${join(dir, 'calls')}\necho "rotated. new token: tok_NEWVALUE0123456789"\n`);
    chmodSync(cli, 0o755);
    const { lines, logger } = capturedLogger();
    const h = harness({ logger });
    const args = { method: 'command', argv: [cli, 'rotate'], key: 'PROVIDER_TOKEN', envFile: env, outputPattern: 'new token: (\\S+)' };
    const result = await h.call('rotateKey', 'rotate', args);
    assert.equal(readEnvValue(readFileSync(env, 'utf8'), 'PROVIDER_TOKEN'), 'tok_NEWVALUE0123456789');
    assert.equal(result.data?.newFingerprint, fingerprint('tok_NEWVALUE0123456789'));
    assert.ok(!JSON.stringify(result).includes('tok_NEWVALUE') && !lines.join('').includes('tok_NEWVALUE'));

    const journal = new Journal(h.deps.home);
    journal.write({
      key: { workflowId: 'inc-test', runId: 'run-1', stepId: 'crashed' },
      action: 'rotateKey',
      state: 'pending',
      at: new Date().toISOString(),
      record: { commandStarted: true },
    });
    await assert.rejects(h.call('rotateKey', 'crashed', args, { attempt: 2 }), (e: Error & { type?: string }) => e.type === 'UnsafeActionRefused');
    assert.equal(readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n').length, 1, 'the provider CLI ran once');
  });

  it('revokes through an HTTP hook with the credential in the body and an admin bearer token, never in the result', async () => {
    const dir = tempDir();
    const env = join(dir, '.env');
    writeFileSync(env, 'LEAKED=ghp_leakedleakedleakedleakedleakedleak12\nADMIN=admin-token-value\n');
    const h = harness();
    const result = await h.call('rotateKey', 'revoke', {
      method: 'http-revoke',
      url: `${http.base}/revoke`,
      credential: { envFile: env, key: 'LEAKED' },
      auth: { envFile: env, key: 'ADMIN' },
    });
    assert.equal(result.data?.status, 200);
    const last = http.received.at(-1)!;
    assert.deepEqual(
      [last.method, last.authorization, last.body],
      ['POST', 'Bearer admin-token-value', '{"token":"ghp_leakedleakedleakedleakedleakedleak12"}'],
    );
    assert.ok(!JSON.stringify(result).includes('ghp_leaked') && !JSON.stringify(result).includes('admin-token'));
    await assert.rejects(
      h.call('rotateKey', 'revoke-bad', { method: 'http-revoke', url: `${http.base}/broken`, credential: { envFile: env, key: 'LEAKED' }, send: 'form' }),
      (e: Error & { type?: string }) => e.type === 'VerificationFailed' && !e.message.includes('ghp_leaked'),
    );
  });
});
