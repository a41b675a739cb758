/** snapshotDisk and restoreBackup against real tar + zstd, btrfs (loop-mounted image, root), restic and cp -a. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { harness, have, isRoot, need, tempDir } from '../helpers/activity';

function workspace(): string {
  const ws = join(tempDir('tourniquet-ws-'), 'ws');
  mkdirSync(join(ws, 'memory'), { recursive: true });
  writeFileSync(join(ws, 'notes.md'), 'good state\n');
  writeFileSync(join(ws, 'memory', 'card.md'), 'card\n');
  return ws;
}

describe('archive snapshots (tar + zstd) and restores with verification', () => {
  it('restores from a zstd archive, checked with tar --compare, and undoes from the tree moved aside', async (t) => {
    if (!need(t, { zstd: have('zstd') })) return;
    const ws = workspace();
    const h = harness();
    const good = await h.call('snapshotDisk', 'good', { target: ws }, { workflowId: 'inc-earlier' });
    assert.match(String(good.data?.archive), /\.tar\.zst$/);
    writeFileSync(join(ws, 'notes.md'), 'broken\n');
    await h.call('snapshotDisk', 'as-found', { target: ws });
    const restored = await h.call('restoreBackup', 'restore', { target: ws, archive: String(good.data?.archive), sha256: String(good.data?.sha256) });
    assert.equal(readFileSync(join(ws, 'notes.md'), 'utf8'), 'good state\n');
    assert.match(String(restored.data?.verified), /tar --compare/);
    const undo = restored.data?.undo as { action: string; args: Record<string, unknown> };
    assert.equal(undo.action, 'restoreBackup');
    await h.call(undo.action as 'restoreBackup', 'undo-restore', undo.args);
    assert.equal(readFileSync(join(ws, 'notes.md'), 'utf8'), 'broken\n', 'the undo brings back the tree the restore replaced');
  });

  it('refuses an archive whose checksum does not match', async () => {
    const ws = workspace();
    const h = harness();
    const good = await h.call('snapshotDisk', 'good', { target: ws, compression: 'gzip' }, { workflowId: 'inc-earlier' });
    await h.call('snapshotDisk', 'as-found', { target: ws });
    await assert.rejects(
      h.call('restoreBackup', 'restore', { target: ws, archive: String(good.data?.archive), sha256: '0'.repeat(64) }),
      (e: Error & { type?: string }) => e.type === 'UnsafeActionRefused',
    );
  });

  it('runs a command hook once with a name derived from the step and reads the id it printed', async () => {
    const dir = tempDir();
    const h = harness();
    const args = {
      method: 'command',
      argv: ['sh', '-c', `echo "$0" >> ${join(dir, 'calls')}; echo "created snapshot snap-0abc1234 named $0"`, '{snapshotName}'],
      idPattern: 'snapshot (snap-[0-9a-f]+)',
    };
    const result = await h.call('snapshotDisk', 'cloud', args);
    assert.equal(result.data?.snapshotId, 'snap-0abc1234');
    await h.call('snapshotDisk', 'cloud', args, { attempt: 2 });
    const calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');
    assert.equal(calls.length, 1);
    assert.match(calls[0]!, /^tourniquet-snap-[0-9a-f]{12}$/);
  });
});

describe('btrfs (real btrfs on a loop-mounted image file)', () => {
  it('takes a read-only subvolume snapshot once, and restores from it with cp -a', async (t) => {
    if (!need(t, { root: isRoot, 'mkfs.btrfs and btrfs (Debian btrfs-progs)': have('mkfs.btrfs') && have('btrfs'), losetup: have('losetup') })) return;
    const dir = tempDir('tourniquet-btrfs-');
    const image = join(dir, 'disk.img');
    const mnt = join(dir, 'mnt');
    mkdirSync(mnt);
    await execa('truncate', ['-s', '160M', image]);
    await execa('mkfs.btrfs', ['-q', image]);
    const mounted = await execa('mount', ['-o', 'loop', image, mnt], { reject: false });
    if (mounted.exitCode !== 0) return t.skip(`cannot loop-mount here: ${mounted.stderr.trim()}`);
    try {
      const sub = join(mnt, 'agent');
      await execa('btrfs', ['subvolume', 'create', sub]);
      writeFileSync(join(sub, 'memory.md'), 'true claim\n');
      const h = harness();
      const plan = await h.call('snapshotDisk', 'snap', { method: 'btrfs', target: sub }, { plan: true });
      assert.match(plan.summary, /btrfs","subvolume","snapshot","-r"/);
      const snap = await h.call('snapshotDisk', 'snap', { method: 'btrfs', target: sub });
      const path = String(snap.data?.location);
      assert.match(String(snap.data?.uuid), /^[0-9a-f-]{36}$/);
      assert.equal(readFileSync(join(path, 'memory.md'), 'utf8'), 'true claim\n');
      assert.throws(() => writeFileSync(join(path, 'x'), 'x'), /EROFS|read-only/i, 'the snapshot is read-only');
      // A retry of the same step finds its snapshot instead of failing on the existing path.
      const again = await h.call('snapshotDisk', 'snap', { method: 'btrfs', target: sub }, { runId: 'run-1', attempt: 2, workflowId: 'inc-test' });
      assert.equal(again.data?.location, path);

      writeFileSync(join(sub, 'memory.md'), 'false claim\n');
      await h.call('restoreBackup', 'restore', { method: 'copy', target: sub, source: path });
      assert.equal(readFileSync(join(sub, 'memory.md'), 'utf8'), 'true claim\n');
    } finally {
      await execa('umount', [mnt], { reject: false });
    }
  });
});

describe('restic (real restic repository)', () => {
  it('restores a tree after restic check, verifying the files, only after a snapshot of the current state', async (t) => {
    if (!need(t, { 'restic (Debian restic)': have('restic') })) return;
    const ws = workspace();
    const dir = tempDir('tourniquet-restic-');
    const repository = join(dir, 'repo');
    const passwordFile = join(dir, 'pw');
    writeFileSync(passwordFile, 'correct horse battery staple\n', { mode: 0o600 });
    const restic = (...args: string[]) => execa('restic', ['--repo', repository, '--password-file', passwordFile, '--no-cache', '-q', ...args]);
    await restic('init');
    await restic('backup', ws);
    writeFileSync(join(ws, 'notes.md'), 'deleted by the agent\n');
    writeFileSync(join(ws, 'junk.txt'), 'junk\n');

    const h = harness();
    const args = { method: 'restic', target: ws, repository, passwordFile };
    await assert.rejects(h.call('restoreBackup', 'restore', args), (e: Error & { type?: string }) => e.type === 'UnsafeActionRefused');
    await h.call('snapshotDisk', 'as-found', { target: ws });
    const result = await h.call('restoreBackup', 'restore', args);
    assert.equal(readFileSync(join(ws, 'notes.md'), 'utf8'), 'good state\n');
    assert.ok(!existsSync(join(ws, 'junk.txt')));
    assert.match(String(result.data?.verified), /restic check passed; restore --verify checked 2 file/);
    assert.equal(readFileSync(join(String(result.data?.movedAsideTo), 'notes.md'), 'utf8'), 'deleted by the agent\n');
  });
});
