/**
 * lockNetwork / unlockNetwork with real nftables and iptables, inside two network namespaces
 * the test creates and removes: never the host's own rules. Namespace A is the locked host;
 * B holds an admin address (192.0.2.2) and another one (192.0.2.3), on a veth pair.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { sleep } from '../../activities/process';
import { harness, have, isRoot } from '../helpers/activity';

const tag = randomBytes(3).toString('hex');
const A = `tq-a-${tag}`;
const B = `tq-b-${tag}`;
const missing = !isRoot ? 'root' : !have('ip') ? 'ip (Debian iproute2)' : !have('nft') ? 'nft (Debian nftables)' : undefined;
let made = false;
const servers: ChildProcess[] = [];

const ns = (name: string, ...argv: string[]) => execa('ip', ['netns', 'exec', name, ...argv]);

/** Whether a TCP connection from namespace `from` (bound to `local`) to host:port succeeds. */
async function connects(from: string, host: string, port: number, local?: string): Promise<boolean> {
  const script = `const s=require('net').connect({host:'${host}',port:${port}${local ? `,localAddress:'${local}'` : ''}},()=>{process.stdout.write('ok');process.exit(0)});s.setTimeout(700,()=>process.exit(1));s.on('error',()=>process.exit(1))`;
  const r = await execa('ip', ['netns', 'exec', from, process.execPath, '-e', script], { reject: false, timeout: 5_000 });
  return r.stdout === 'ok';
}

function listen(name: string, host: string, port: number): void {
  const child = spawn('ip', ['netns', 'exec', name, process.execPath, '-e', `require('net').createServer((s)=>s.end()).listen(${port},'${host}')`], {
    stdio: 'ignore',
  });
  servers.push(child);
}

before(async () => {
  if (missing) return;
  await execa('ip', ['netns', 'add', A]);
  await execa('ip', ['netns', 'add', B]);
  made = true;
  await ns(A, 'ip', 'link', 'add', 'tqa', 'type', 'veth', 'peer', 'name', 'tqb', 'netns', B);
  await ns(A, 'ip', 'addr', 'add', '192.0.2.1/24', 'dev', 'tqa');
  await ns(B, 'ip', 'addr', 'add', '192.0.2.2/24', 'dev', 'tqb');
  await ns(B, 'ip', 'addr', 'add', '192.0.2.3/24', 'dev', 'tqb');
  for (const [n, dev] of [
    [A, 'tqa'],
    [B, 'tqb'],
  ] as const) {
    await ns(n, 'ip', 'link', 'set', 'lo', 'up');
    await ns(n, 'ip', 'link', 'set', dev, 'up');
  }
  listen(A, '192.0.2.1', 8080);
  listen(B, '0.0.0.0', 9090);
  for (let i = 0; i < 50 && !(await connects(B, '192.0.2.1', 8080)); i++) await sleep(100);
});

after(async () => {
  for (const s of servers) s.kill('SIGKILL');
  if (made) {
    await execa('ip', ['netns', 'del', A], { reject: false });
    await execa('ip', ['netns', 'del', B], { reject: false });
  }
});

async function reachability() {
  return {
    adminIn: await connects(B, '192.0.2.1', 8080, '192.0.2.2'),
    otherIn: await connects(B, '192.0.2.1', 8080, '192.0.2.3'),
    adminOut: await connects(A, '192.0.2.2', 9090),
    otherOut: await connects(A, '192.0.2.3', 9090),
  };
}
const open = { adminIn: true, otherIn: true, adminOut: true, otherOut: true };
const locked = { adminIn: true, otherIn: false, adminOut: true, otherOut: false };

describe('network lockdown (real nftables and iptables in a test-made netns)', () => {
  it('nftables: cuts everything but the admin address, once, and unlocks', async (t) => {
    if (missing) return t.skip(`needs ${missing}`);
    assert.deepEqual(await reachability(), open);
    const h = harness();
    const args = { allow: ['192.0.2.2'], netns: A, backend: 'nftables' };
    const plan = await h.call('lockNetwork', 'lock', args, { plan: true });
    assert.match(plan.summary, /table inet tourniquet_[0-9a-f]{10}/);
    assert.deepEqual(await reachability(), open, 'a drill changes nothing');

    const lock = await h.call('lockNetwork', 'lock', args);
    assert.deepEqual(await reachability(), locked);
    const again = await h.call('lockNetwork', 'lock', args, { attempt: 2 });
    assert.equal(again.replayed, true);
    const tables = (await ns(A, 'nft', 'list', 'tables')).stdout.trim().split('\n');
    assert.deepEqual(tables, [`table inet ${lock.data?.table}`], 'one table for one step');

    const undo = lock.data?.undo as { action: 'unlockNetwork'; args: unknown };
    await h.call(undo.action, 'unlock', undo.args);
    assert.deepEqual(await reachability(), open);
    assert.equal((await h.call(undo.action, 'unlock', undo.args, { attempt: 2 })).replayed, true);
    assert.equal((await ns(A, 'nft', 'list', 'tables')).stdout.trim(), '');
  });

  it('iptables (the fallback): the same cut with chains of our own, removed again', async (t) => {
    if (missing) return t.skip(`needs ${missing}`);
    if (!have('iptables')) return t.skip('needs iptables');
    const h = harness();
    const lock = await h.call('lockNetwork', 'lock-ipt', { allow: ['192.0.2.2'], netns: A, backend: 'iptables' });
    assert.equal(lock.data?.backend, 'iptables');
    assert.deepEqual(await reachability(), locked);
    await h.call('unlockNetwork', 'unlock-ipt', { lockStep: 'lock-ipt' });
    assert.deepEqual(await reachability(), open);
    assert.doesNotMatch((await ns(A, 'iptables', '-w', '-S')).stdout, /TQ-/);
  });
});
