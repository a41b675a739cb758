/** captureEvidence's sources against real git repositories, log files and processes; evidence verify. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { execa } from 'execa';
import { verifyEvidence } from '../../activities';
import { signal } from '../../activities/process';
import { PROJECT_ROOT } from '../../common/paths';
import { harness, have, tempDir } from '../helpers/activity';

const secret = `sk-live-${'9f8e7d6c5b4a'.repeat(4)}`;
const pids: number[] = [];
after(() => pids.forEach((pid) => signal(pid, 'SIGKILL')));

async function repo(): Promise<string> {
  const dir = tempDir('tourniquet-repo-');
  const git = (...args: string[]) => execa('git', ['-C', dir, '-c', 'user.email=t@example.invalid', '-c', 'user.name=t', ...args]);
  await git('init', '-q');
  writeFileSync(join(dir, 'config.py'), 'MODEL = "small"\n');
  await git('add', '.');
  await git('commit', '-qm', 'init');
  writeFileSync(join(dir, 'config.py'), `MODEL = "small"\nAPI_KEY = "${secret}"\n`);
  writeFileSync(join(dir, 'new.txt'), 'untracked\n');
  return dir;
}

describe('captureEvidence sources (real git, files and processes)', () => {
  it('captures git status and diff with secrets redacted, a log window, and a process status', async (t) => {
    if (!have('git')) return t.skip('needs git');
    const dir = await repo();
    const log = join(dir, 'agent.log');
    writeFileSync(log, ['2026-11-22T08:00:00Z boot', '2026-11-22T11:30:00Z tool call with key ' + secret, '2026-11-22T11:31:00Z done'].join('\n'));
    const env = join(dir, 'agent.env');
    writeFileSync(env, 'DB_PASSWORD=pw-from-env-file-123\n');
    writeFileSync(join(dir, 'printer.sh'), '#!/bin/sh\necho "connecting with pw-from-env-file-123"\n');
    chmodSync(join(dir, 'printer.sh'), 0o755);
    const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    pids.push(child.pid!);
    writeFileSync(join(dir, 'sleep.pid'), `${child.pid}\n`);

    const h = harness({ now: () => new Date('2026-11-22T12:00:00Z') });
    const result = await h.call('captureEvidence', 'evidence', {
      repos: [dir],
      logs: [{ path: log, since: '1h' }],
      services: [{ service: 'sleeper', manager: { kind: 'process', pidfile: join(dir, 'sleep.pid') } }],
      commands: [{ name: 'printer.txt', argv: [join(dir, 'printer.sh')] }],
      files: [join(dir, 'config.py')],
      redactEnvFiles: [env],
    });
    const folder = String(result.data?.folder);
    const read = (f: string) => readFileSync(join(folder, f), 'utf8');
    const base = dir.replace(/^\/+/, '').replace(/[^A-Za-z0-9._-]+/g, '_');
    assert.match(read(`repos/${base}-status.txt`), /M config\.py[\s\S]*\?\? new\.txt/);
    const diff = read(`repos/${base}-diff.patch`);
    assert.match(diff, /\+API_KEY = "\[redacted (sk-api-key|secret-assignment) sha256:[0-9a-f]{16}\]"/);
    const excerpt = read(`logs/${log.replace(/^\/+/, '').replace(/[^A-Za-z0-9._-]+/g, '_')}`);
    assert.ok(!excerpt.includes('boot'), 'outside the window');
    assert.match(excerpt, /11:31:00Z done/);
    assert.match(read('services/sleeper-status.txt'), /alive: true[\s\S]*sleep/);
    assert.match(read('commands/printer.txt'), /connecting with \[redacted known-value/);
    // Raw copies stay raw: the private folder keeps the file as it was.
    assert.ok(read(`files/${dir.slice(1)}/config.py`).includes(secret));
    for (const f of ['repos', 'logs', 'commands']) assert.ok(!JSON.stringify(result).includes(secret), f);
    assert.ok((result.data?.redactions as number) >= 3);
    assert.deepEqual(await verifyEvidence(folder), []);
  });

  it('tourniquet evidence verify --offline checks manifests and exits 8 on tampering', async () => {
    const h = harness();
    const dir = tempDir();
    writeFileSync(join(dir, 'a.txt'), 'a\n');
    const result = await h.call('captureEvidence', 'evidence', { files: [join(dir, 'a.txt')] }, { workflowId: 'inc-verify' });
    const cli = (...args: string[]) =>
      execa(process.execPath, [join(PROJECT_ROOT, 'bin', 'tourniquet.js'), ...args], {
        env: { TOURNIQUET_HOME: h.deps.home, LOG_LEVEL: 'silent' },
        reject: false,
      });
    const ok = await cli('evidence', 'verify', 'inc-verify', '--offline');
    assert.equal(ok.exitCode, 0, ok.stderr);
    assert.match(ok.stdout, /^ok {2}.*evidence\/evidence {2}1 file\(s\)/m);
    const copy = join(String(result.data?.folder), 'files', dir.slice(1), 'a.txt');
    chmodSync(copy, 0o600);
    writeFileSync(copy, 'tampered\n');
    const bad = await cli('evidence', 'verify', 'inc-verify', '--offline');
    assert.equal(bad.exitCode, 8);
    assert.match(bad.stdout, /^FAIL.*changed or missing: files\/.*a\.txt/m);
    const unknown = await cli('evidence', 'verify', 'inc-none', '--offline');
    assert.equal(unknown.exitCode, 3);
  });
});
