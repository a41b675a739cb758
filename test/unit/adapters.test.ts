/** Command lines and output parsing of the snapshot, restore and network adapters. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hookSnapshotId, parseBtrfsShow, parseLvs } from '../../activities/snapshot/methods';
import { restoreCommands } from '../../activities/restore/methods';
import { iptablesLockArgvs, iptablesUnlockArgvs, nftRuleset } from '../../activities/network/rules';
import { excerpt, journalTime, lineTime, resolveTime } from '../../activities/evidence/window';
import { commandSources } from '../../activities/evidence/sources';
import { actionArgs } from '../../contract';
import { harness } from '../helpers/activity';
import { includes, recorded } from '../helpers/recorded';

describe('snapshot adapters', () => {
  it('parses btrfs subvolume show and lvs', () => {
    const show = '/mnt/ws.snap\n\tName: \t\t\tws.snap\n\tUUID: \t\t\tddcd1161-e6e4-a44c-9ebd-0c004f5ac4bc\n\tFlags: \t\t\treadonly\n';
    assert.deepEqual(parseBtrfsShow(show), { uuid: 'ddcd1161-e6e4-a44c-9ebd-0c004f5ac4bc', readonly: true });
    assert.equal(parseBtrfsShow('\tFlags: \t\t\t-\n').readonly, false);
    assert.deepEqual(parseLvs('  tq-snap-1 swi-a-s--- data\n'), { name: 'tq-snap-1', snapshot: true, origin: 'data' });
    assert.equal(hookSnapshotId('Created snapshot snap-0abc123 (pending)\n', 'snapshot (snap-[0-9a-f]+)', 'n'), 'snap-0abc123');
    assert.equal(hookSnapshotId('whatever', undefined, 'tourniquet-snap-1'), 'tourniquet-snap-1');
  });

  it('LVM (recorded command lines; no LVM volume group here): lvcreate once, checked with lvs', async () => {
    let made = false;
    const rec = recorded([
      { match: includes('lvs'), reply: () => (made ? { stdout: '  tq-x swi-a-s--- data\n' } : { exitCode: 5, stderr: 'Failed to find logical volume' }) },
      { match: includes('lvcreate'), reply: () => ((made = true), {}) },
    ]);
    const h = harness({ run: rec.run });
    const result = await h.call('snapshotDisk', 'snap', { method: 'lvm', volume: 'vg0/data', size: '2G', target: '/srv/agent' });
    const create = rec.calls.find((c) => c[0] === 'lvcreate')!;
    assert.deepEqual(create.slice(0, 3), ['lvcreate', '--snapshot', '--name']);
    assert.deepEqual(create.slice(4), ['--size', '2G', '--', 'vg0/data']);
    assert.equal(result.data?.location, `vg0/${create[3]}`);
    assert.equal(result.data?.target, '/srv/agent');
    await h.call('snapshotDisk', 'snap', { method: 'lvm', volume: 'vg0/data', size: '2G' }, { runId: 'run-1', attempt: 2, workflowId: 'inc-test' });
    assert.equal(rec.calls.filter((c) => c[0] === 'lvcreate').length, 1);
  });

  it('ZFS (recorded command lines; no ZFS pool here): zfs snapshot dataset@id unless it exists', async () => {
    let made = false;
    const rec = recorded([
      { match: includes('list'), reply: () => (made ? { stdout: 'tank/agent@snap-x\t1700000000\n' } : { exitCode: 1, stderr: 'dataset does not exist' }) },
      { match: includes('snapshot'), reply: () => ((made = true), {}) },
    ]);
    const result = await harness({ run: rec.run }).call('snapshotDisk', 'zsnap', { method: 'zfs', dataset: 'tank/agent' });
    const create = rec.calls.find((c) => c[1] === 'snapshot')!;
    assert.match(create[2]!, /^tank\/agent@snap-[0-9a-f]{12}$/);
    assert.equal(result.data?.location, create[2]);
  });
});

describe('restore and network command lines', () => {
  it('restic restores with --verify after restic check; archives are compared after extraction', () => {
    const restic = actionArgs.restoreBackup.parse({ method: 'restic', target: '/srv/ws', repository: '/backups/repo', passwordFile: '/etc/restic.pw' });
    const cmds = restoreCommands(restic, '/srv/.ws.restore-r');
    assert.deepEqual(cmds[0], ['restic', '--repo', '/backups/repo', '--password-file', '/etc/restic.pw', '--no-cache', 'check']);
    assert.deepEqual(cmds[1]!.slice(6), ['restore', 'latest', '--path', '/srv/ws', '--include', '/srv/ws', '--target', '/srv/.ws.restore-r.raw', '--verify']);
    const archive = restoreCommands(actionArgs.restoreBackup.parse({ target: '/srv/ws', archive: '/b.tar.zst' }), '/s');
    assert.deepEqual(archive, [
      ['tar', '--extract', '--file', '/b.tar.zst', '--directory', '/s'],
      ['tar', '--compare', '--file', '/b.tar.zst', '--directory', '/s'],
    ]);
  });

  it('nftables: one table of our own, admin addresses allowed, everything else dropped', () => {
    const text = nftRuleset('tourniquet_abc', { scope: { kind: 'host' }, allow: ['192.0.2.2', '2001:db8::/64'] });
    assert.match(text, /^table inet tourniquet_abc \{/);
    assert.match(text, /set admin4 \{\n\s+type ipv4_addr; flags interval;\n\s+elements = \{ 192\.0\.2\.2 \}/);
    assert.match(text, /set admin6 \{\n\s+type ipv6_addr; flags interval;\n\s+elements = \{ 2001:db8::\/64 \}/);
    assert.match(
      text,
      /chain input \{\n\s+type filter hook input priority -10; policy accept;\n\s+iif "lo" accept\n[\s\S]*ip saddr @admin4 accept\n\s+ip6 saddr @admin6 accept\n\s+drop\n/,
    );
    const service = nftRuleset('t', { scope: { kind: 'service', uid: 1001, ports: [8080] }, allow: ['192.0.2.2'] });
    assert.match(service, /meta skuid 1001 ip daddr @admin4 accept\n\s+meta skuid 1001 ip6 daddr @admin6 accept\n\s+meta skuid 1001 drop/);
    assert.match(service, /tcp dport \{ 8080 \} drop/);
  });

  it('iptables (the fallback): chains of our own, jumped to first, removed again', () => {
    const lock = iptablesLockArgvs('iptables', 'abc', { scope: { kind: 'host' }, allow: ['192.0.2.2', '2001:db8::1'] });
    assert.deepEqual(lock[0], ['iptables', '-w', '-N', 'TQ-abc-IN']);
    assert.ok(lock.some((c) => c.join(' ') === 'iptables -w -A TQ-abc-IN -s 192.0.2.2 -j ACCEPT'));
    assert.ok(!lock.some((c) => c.includes('2001:db8::1')), 'IPv6 addresses go to ip6tables');
    assert.deepEqual(lock.at(-2), ['iptables', '-w', '-I', 'INPUT', '1', '-j', 'TQ-abc-IN']);
    assert.deepEqual(iptablesUnlockArgvs('ip6tables', 'abc')[0], ['ip6tables', '-w', '-D', 'INPUT', '-j', 'TQ-abc-IN']);
  });
});

describe('evidence time windows and sources', () => {
  const now = new Date('2026-11-22T12:00:00Z');

  it('reads ages, ISO times, syslog and JSON line times', () => {
    assert.equal(resolveTime('2h', now).toISOString(), '2026-11-22T10:00:00.000Z');
    assert.equal(journalTime(resolveTime('30m', now)), '2026-11-22 11:30:00 UTC');
    assert.equal(lineTime('2026-11-22T11:00:00Z boom', now)?.toISOString(), '2026-11-22T11:00:00.000Z');
    assert.equal(lineTime('{"level":30,"time":1795345200000,"msg":"x"}', now)?.getTime(), 1795345200000);
    assert.ok(lineTime('Nov 22 11:00:00 host agent[1]: hi', now));
    assert.equal(lineTime('  at stack frame', now), undefined);
  });

  it('cuts a log to a window, keeping continuation lines with their entry', () => {
    const log = ['2026-11-22T08:00:00Z old', '2026-11-22T11:00:00Z in window', '  at trace line', '2026-11-22T11:59:00Z late'].join('\n');
    const cut = excerpt(log, now, resolveTime('2h', now), resolveTime('5m', now));
    assert.equal(cut.text, '2026-11-22T11:00:00Z in window\n  at trace line');
  });

  it('builds journalctl, git and docker command lines', () => {
    const args = actionArgs.captureEvidence.parse({
      journal: [{ unit: 'openclaw-gateway.service', scope: 'user', since: '2h' }],
      repos: ['/srv/agent'],
      containers: ['openclaw'],
      services: [{ service: 'gw', manager: { kind: 'systemd', unit: 'gw.service', scope: 'user' } }],
    });
    const argvs = commandSources(args, now).map((c) => c.argv.join(' '));
    assert.ok(argvs.includes('systemctl --user status --no-pager --full -- gw.service'));
    assert.ok(argvs.includes('journalctl --user --unit openclaw-gateway.service --since 2026-11-22 10:00:00 UTC --no-pager --output short-iso'));
    assert.ok(argvs.includes('git -C /srv/agent status --short --branch --untracked-files=all'));
    assert.ok(argvs.includes('git -C /srv/agent diff --no-color --no-ext-diff'));
    assert.ok(argvs.includes('docker logs --timestamps --tail 20000 -- openclaw'));
  });
});

describe('argument shapes', () => {
  it('keeps the first shapes valid and upgrades them', () => {
    assert.deepEqual(actionArgs.stopService.parse({ service: 'g', pidfile: '/run/g.pid' }), {
      service: 'g',
      manager: { kind: 'process', pidfile: '/run/g.pid' },
      graceMs: 5000,
    });
    assert.equal(actionArgs.snapshotDisk.parse({ target: '/srv' }).method, 'archive');
    assert.equal(actionArgs.rotateKey.parse({ envFile: '/e', key: 'K' }).method, 'env-file');
    assert.equal(actionArgs.smokeTest.parse({ url: 'http://127.0.0.1/h' }).kind, 'http');
    assert.equal(actionArgs.restoreBackup.parse({ target: '/t', archive: '/a' }).method, 'archive');
  });

  it('refuses names that a command would read as options, and lockdowns without an admin address', () => {
    assert.equal(actionArgs.stopService.safeParse({ service: 'x', manager: { kind: 'docker', container: '--privileged' } }).success, false);
    assert.equal(actionArgs.stopService.safeParse({ service: 'x', manager: { kind: 'supervisord', program: '-c' } }).success, false);
    assert.equal(actionArgs.lockNetwork.safeParse({ allow: [] }).success, false);
    assert.equal(actionArgs.rotateKey.safeParse({ method: 'env-file', key: 'K' }).success, false, 'an env-file rotation needs a file');
  });
});
