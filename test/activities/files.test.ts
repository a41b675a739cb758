import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { verifyEvidence } from '../../activities';
import { fingerprint } from '../../common/hash';
import { readEnvValue } from '../../activities/rotate';
import { Journal } from '../../activities/journal';
import { harness, tempDir } from '../helpers/activity';

function workspace(): string {
  const dir = tempDir('tourniquet-ws-');
  mkdirSync(join(dir, 'ws', 'memory'), { recursive: true });
  writeFileSync(join(dir, 'ws', 'notes.md'), 'good state\n');
  writeFileSync(join(dir, 'ws', 'memory', 'card.md'), 'card\n');
  return join(dir, 'ws');
}

describe('captureEvidence', () => {
  it('copies files and command output into a 0700 folder with a SHA-256 manifest', async () => {
    const ws = workspace();
    const h = harness();
    const result = await h.call('captureEvidence', 'evidence', {
      files: [join(ws, 'notes.md'), join(ws, 'memory'), '/nonexistent/file.log'],
      commands: [{ name: 'listing.txt', argv: ['ls', '-la', ws] }],
    });
    const folder = String(result.data?.folder);
    assert.equal(statSync(join(folder, '..')).mode & 0o777, 0o700);
    assert.equal(readFileSync(join(folder, 'files', ws.slice(1), 'notes.md'), 'utf8'), 'good state\n');
    assert.equal(readFileSync(join(folder, 'files', ws.slice(1), 'memory', 'card.md'), 'utf8'), 'card\n');
    assert.match(readFileSync(join(folder, 'commands', 'listing.txt'), 'utf8'), /# exit code 0[\s\S]*notes\.md/);
    assert.deepEqual(result.data?.missing, ['/nonexistent/file.log']);
    assert.deepEqual(await verifyEvidence(folder), []);
    assert.equal((result.data?.entries as unknown[]).length, 3);
  });

  it('never overwrites: the same step again replays; tampering is detected', async () => {
    const ws = workspace();
    const h = harness();
    const first = await h.call('captureEvidence', 'evidence', { files: [join(ws, 'notes.md')] });
    writeFileSync(join(ws, 'notes.md'), 'changed later\n');
    const again = await h.call('captureEvidence', 'evidence', { files: [join(ws, 'notes.md')] }, { attempt: 2 });
    assert.equal(again.replayed, true);
    assert.equal(again.data?.manifestSha256, first.data?.manifestSha256);
    const folder = String(first.data?.folder);
    const copy = join(folder, 'files', ws.slice(1), 'notes.md');
    assert.equal(readFileSync(copy, 'utf8'), 'good state\n');
    chmodSync(copy, 0o600);
    writeFileSync(copy, 'tampered\n');
    assert.deepEqual(await verifyEvidence(folder), [join('files', ws.slice(1), 'notes.md')]);
  });
});

describe('snapshotDisk and restoreBackup (real tar)', () => {
  it('refuses a restore without a snapshot of the current state', async () => {
    const ws = workspace();
    const h = harness();
    await assert.rejects(
      h.call('restoreBackup', 'restore', { target: ws, archive: '/nonexistent.tgz' }),
      (err: Error & { type?: string; nonRetryable?: boolean }) => {
        assert.equal(err.type, 'UnsafeActionRefused');
        assert.equal(err.nonRetryable, true);
        assert.match(err.message, /Add a snapshotDisk step with target/);
        return true;
      },
    );
    assert.equal(readFileSync(join(ws, 'notes.md'), 'utf8'), 'good state\n', 'nothing touched');
  });

  it('snapshots, restores from a backup, keeps the broken tree aside, and does it once', async () => {
    const ws = workspace();
    const h = harness();
    const backup = await h.call('snapshotDisk', 'backup', { target: ws }, { workflowId: 'inc-backup' });
    writeFileSync(join(ws, 'notes.md'), 'broken by the agent\n');
    const snap = await h.call('snapshotDisk', 'snapshot', { target: ws });
    const snapAgain = await h.call('snapshotDisk', 'snapshot', { target: ws }, { attempt: 2 });
    assert.equal(snapAgain.data?.snapshotId, snap.data?.snapshotId);
    const snapshots = readdirSync(join(String(snap.data?.archive), '..'));
    assert.equal(snapshots.filter((f) => /\.tar\.(zst|gz)$/.test(f)).length, 1, 'one archive for one step');

    const restored = await h.call('restoreBackup', 'restore', { target: ws, archive: String(backup.data?.archive) });
    assert.equal(readFileSync(join(ws, 'notes.md'), 'utf8'), 'good state\n');
    const aside = String(restored.data?.movedAsideTo);
    assert.equal(readFileSync(join(aside, 'notes.md'), 'utf8'), 'broken by the agent\n');

    writeFileSync(join(ws, 'after.md'), 'written after the restore\n');
    const again = await h.call('restoreBackup', 'restore', { target: ws, archive: String(backup.data?.archive) }, { attempt: 2 });
    assert.equal(again.replayed, true);
    assert.ok(existsSync(join(ws, 'after.md')), 'the second call did not restore again');
  });
});

describe('rotateKey (env file)', () => {
  function envFile(): { path: string; old: string } {
    const dir = tempDir();
    const old = `sk-live-${'0123456789abcdef'.repeat(3)}`;
    const path = join(dir, '.env');
    writeFileSync(path, `MODEL=small\nAGENT_API_KEY=${old}\n`, { mode: 0o644 });
    return { path, old };
  }

  it('rotates once, atomically, mode 0600, returning fingerprints only', async () => {
    const { path, old } = envFile();
    const h = harness();
    const result = await h.call('rotateKey', 'rotate', { envFile: path, key: 'AGENT_API_KEY' });
    const text = readFileSync(path, 'utf8');
    const next = readEnvValue(text, 'AGENT_API_KEY')!;
    assert.notEqual(next, old);
    assert.ok(next.startsWith('sk-live-'));
    assert.equal(next.length, old.length);
    assert.match(text, /^MODEL=small\n/);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(result.data?.oldFingerprint, fingerprint(old));
    assert.equal(result.data?.newFingerprint, fingerprint(next));
    const serialised = JSON.stringify(result);
    assert.ok(!serialised.includes(old) && !serialised.includes(next), 'no secret in the result');
    const journal = JSON.stringify(new Journal(h.deps.home).all('inc-test'));
    assert.ok(!journal.includes(old) && !journal.includes(next), 'no secret in the journal');

    const again = await h.call('rotateKey', 'rotate', { envFile: path, key: 'AGENT_API_KEY' }, { attempt: 2 });
    assert.equal(again.replayed, true);
    assert.equal(readEnvValue(readFileSync(path, 'utf8'), 'AGENT_API_KEY'), next, 'rotated once');
  });

  it('a retry after a crash between the file write and the journal does not rotate twice', async () => {
    const { path } = envFile();
    const h = harness();
    await h.call('rotateKey', 'rotate', { envFile: path, key: 'AGENT_API_KEY' });
    const after = readEnvValue(readFileSync(path, 'utf8'), 'AGENT_API_KEY');
    // Put the journal back to how a worker killed right after the rename would have left it.
    const journal = new Journal(h.deps.home);
    const key = { workflowId: 'inc-test', runId: 'run-1', stepId: 'rotate' };
    const entry = journal.read(key)!;
    journal.write({ ...entry, state: 'pending', result: undefined });
    const retry = await h.call('rotateKey', 'rotate', { envFile: path, key: 'AGENT_API_KEY' }, { attempt: 2 });
    assert.equal(readEnvValue(readFileSync(path, 'utf8'), 'AGENT_API_KEY'), after);
    assert.equal(retry.data?.newFingerprint, entry.result!.data!.newFingerprint);
  });

  it('says which key or file is missing, without retrying', async () => {
    const { path } = envFile();
    const h = harness();
    await assert.rejects(
      h.call('rotateKey', 'rotate', { envFile: path, key: 'NOPE' }),
      (e: Error & { type?: string }) => e.type === 'TargetNotFound' && /NOPE is not set/.test(e.message),
    );
    await assert.rejects(
      h.call('rotateKey', 'rotate2', { envFile: '/nonexistent/.env', key: 'K' }),
      (e: Error & { type?: string }) => e.type === 'TargetNotFound',
    );
    await assert.rejects(
      h.call('rotateKey', 'rotate3', { envFile: path, key: 'bad key' }),
      (e: Error & { type?: string }) => e.type === 'InvalidArguments' && /key: must be an env variable name/.test(e.message),
    );
  });
});
