/**
 * Issue 10, case (d): actions report only what they observed, on a plain process. A wrong or
 * stale pidfile fails (drill and live) while the agent keeps answering; "was not running" comes
 * with the probe that agreed; a stop is proven by the port and the process's start time; an
 * approved restart runs the agent as the inventory says (own session, env file, cwd, log) and
 * outlives the process that started it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, readlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { identify, isAlive, readPidfile, sessionOf, signal, sleep } from '../../activities/process';
import { readEnvValue } from '../../activities/rotate';
import { parseInventory } from '../../compiler/inventory';
import { YamlSource } from '../../common/data-file';
import { fingerprint } from '../../common/hash';
import { freePort } from '../../common/probe';
import { harness, tempDir } from '../helpers/activity';

const STEP_PROCESS = fileURLToPath(new URL('../helpers/step-process.ts', import.meta.url));

/**
 * The agent: answers /health, and /whoami with 200 only for its own AGENT_API_KEY (read from
 * its environment at start); logs a line per start to stdout.
 */
const AGENT = `
const http = require('node:http');
const key = process.env.AGENT_API_KEY;
http.createServer((req, res) => {
  if (req.url === '/whoami') return res.writeHead(req.headers.authorization === 'Bearer ' + key ? 200 : 401).end();
  res.writeHead(200).end('ok');
}).listen(Number(process.env.AGENT_PORT), '127.0.0.1', () => console.log('agent up pid=' + process.pid + ' cwd=' + process.cwd()));
process.on('SIGTERM', () => process.exit(0));
`;

const killLater: number[] = [];
after(() => {
  for (const pid of killLater) signal(-pid, 'SIGKILL');
  for (const pid of killLater) signal(pid, 'SIGKILL');
});

interface Box {
  dir: string;
  port: number;
  pidfile: string;
  envFile: string;
  logFile: string;
  workdir: string;
  url: string;
  manager: Record<string, unknown>;
}

async function box(): Promise<Box> {
  const dir = tempDir('tourniquet-truth-');
  const port = await freePort();
  const workdir = join(dir, 'srv');
  mkdirSync(join(dir, 'run'), { recursive: true });
  mkdirSync(workdir, { recursive: true });
  const b = {
    dir,
    port,
    workdir,
    pidfile: join(dir, 'run', 'agent.pid'),
    envFile: join(dir, 'agent.env'),
    logFile: join(dir, 'log', 'agent.log'),
    url: `http://127.0.0.1:${port}`,
    manager: {},
  };
  writeFileSync(join(dir, 'agent.js'), AGENT);
  writeFileSync(b.envFile, `# agent settings\nAGENT_PORT=${port}\nAGENT_MODEL=small\nAGENT_API_KEY=sk-live-${'ab12'.repeat(8)}\n`, { mode: 0o600 });
  b.manager = {
    kind: 'process',
    pidfile: b.pidfile,
    command: [process.execPath, join(dir, 'agent.js')],
    cwd: workdir,
    envFile: b.envFile,
    logFile: b.logFile,
    probe: { port },
  };
  return b;
}

async function answers(url: string): Promise<number | undefined> {
  try {
    return (await fetch(url)).status;
  } catch {
    return undefined;
  }
}

async function until(what: string, ok: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await ok()) return;
    await sleep(100);
  }
  assert.fail(`timed out waiting until ${what}`);
}

/** Start the agent as its init would (detached, env file loaded, pid written); returns its pid. */
async function startAgent(b: Box): Promise<number> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  for (const line of readFileSync(b.envFile, 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!;
  }
  mkdirSync(join(b.dir, 'log'), { recursive: true });
  const out = openSync(b.logFile, 'a');
  const child = spawn(process.execPath, [join(b.dir, 'agent.js')], { cwd: b.workdir, env, detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  child.unref();
  killLater.push(child.pid!);
  writeFileSync(b.pidfile, `${child.pid}\n`);
  await until('the agent answers', async () => (await answers(`${b.url}/health`)) === 200);
  return child.pid!;
}

type Failure = Error & { type?: string; nonRetryable?: boolean };

describe('truthful service actions (process adapter, real processes)', () => {
  it('refuses a relative pidfile, in the inventory and in a step, saying what to fix', async () => {
    const yaml = 'services:\n  agent:\n    manager: { kind: process, pidfile: run/agent.pid }\n    probe: { port: 8080 }\n';
    assert.throws(
      () => parseInventory(YamlSource.parse('tourniquet.yaml', yaml)),
      /services\.agent\.manager\.pidfile: must be an absolute path: a relative pidfile is looked up from the worker's working directory/,
    );
    const h = harness();
    for (const plan of [true, false]) {
      await assert.rejects(
        h.call('stopService', `stop-${plan}`, { service: 'agent', manager: { kind: 'process', pidfile: 'run/agent.pid' } }, { plan }),
        (err: Failure) => {
          assert.equal(err.type, 'InvalidArguments');
          assert.match(err.message, /manager\.pidfile: must be an absolute path/);
          return true;
        },
      );
    }
  });

  it('a stale pidfile: the drill and the live stop both fail with what to fix, and the agent keeps answering', async () => {
    const b = await box();
    const agent = await startAgent(b);
    // The pidfile names a process that has exited: what a crashed-and-restarted service leaves.
    const ghost = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => ghost.once('exit', r));
    writeFileSync(b.pidfile, `${ghost.pid}\n`);
    const h = harness();
    const args = { service: 'agent', manager: b.manager, graceMs: 2000 };
    const whatToFix = (err: Failure) => {
      assert.equal(err.type, 'TargetNotFound');
      assert.equal(err.nonRetryable, true);
      assert.match(err.message, new RegExp(`names pid ${ghost.pid}, which is not running \\(a stale pidfile\\)`));
      assert.match(err.message, new RegExp(`yet agent is running \\(127\\.0\\.0\\.1:${b.port} accepts connections\\)`));
      assert.match(err.message, /Nothing was stopped: fix services\.agent\.manager\.pidfile/);
      assert.doesNotMatch(err.message, /was not running/);
      return true;
    };
    await assert.rejects(h.call('stopService', 'stop', args, { plan: true }), whatToFix);
    await assert.rejects(h.call('stopService', 'stop', args), whatToFix);
    assert.equal(await answers(`${b.url}/health`), 200, 'the agent still answers');
    assert.ok(isAlive(agent));

    // Without a probe there is nothing to confirm "not running" with: still an error.
    const { probe: _probe, ...unprobed } = b.manager;
    await assert.rejects(h.call('stopService', 'stop-unprobed', { ...args, manager: unprobed }), (err: Failure) => {
      assert.equal(err.type, 'TargetNotFound');
      assert.match(err.message, /no liveness probe to confirm it is down.*add probe: \{port: N\}/);
      return true;
    });
    assert.equal(await answers(`${b.url}/health`), 200);
  });

  it('a wrong pidfile naming another live process (its pid reused) is refused, and that process is left alone', async () => {
    const b = await box();
    await startAgent(b);
    const bystander = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    bystander.unref();
    killLater.push(bystander.pid!);
    writeFileSync(b.pidfile, `${bystander.pid}\n`);
    // Written an hour before that process started: the pid cannot have been this one's.
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(b.pidfile, old, old);
    const h = harness();
    const args = { service: 'agent', manager: b.manager, graceMs: 2000 };
    for (const plan of [true, false]) {
      await assert.rejects(h.call('stopService', `stop-${plan}`, args, { plan }), (err: Failure) => {
        assert.equal(err.type, 'TargetNotFound');
        assert.match(err.message, /started after the pidfile was written: a stale pidfile whose pid was reused/);
        assert.match(err.message, /yet agent is running/);
        return true;
      });
    }
    assert.ok(isAlive(bystander.pid!), 'the process the pidfile wrongly names was not signalled');
    assert.equal(await answers(`${b.url}/health`), 200);
  });

  it('says "was not running" only with the probe that agreed', async () => {
    const b = await box();
    const h = harness();
    const args = { service: 'agent', manager: b.manager };
    const plan = await h.call('stopService', 'stop', args, { plan: true });
    assert.equal(plan.summary, 'would change nothing');
    const result = await h.call('stopService', 'stop', args);
    assert.equal(result.data?.wasRunning, false);
    assert.deepEqual(
      (result.data?.proof as { check: string; ok: boolean }[]).map((p) => [p.check, p.ok]),
      [
        ['pidfile', true],
        ['port-closed', true],
      ],
    );
    assert.match(result.summary, new RegExp(`agent was not running: pidfile .* does not exist.*port-closed 127\\.0\\.0\\.1:${b.port} \\(ECONNREFUSED\\)`));
    // Recovery brings back what was running, and this was not.
    const start = await h.call('startService', 'start', args);
    assert.equal(start.data?.startedByThisStep, false);
    assert.equal(existsSync(b.pidfile), false);
  });

  it('a stop is proven: the port no longer answers and the process with that start time is gone', async () => {
    const b = await box();
    const pid = await startAgent(b);
    const startTime = identify(pid)!.startTime;
    const h = harness();
    const stop = await h.call('stopService', 'stop', { service: 'agent', manager: b.manager, graceMs: 3000 });
    assert.equal(stop.data?.wasRunning, true);
    assert.deepEqual(stop.data?.proof, [
      { check: 'process-gone', target: `pid ${pid}`, ok: true, pid, startTime, detail: 'no such process with that start time' },
      { check: 'port-closed', target: `127.0.0.1:${b.port}`, ok: true, detail: 'ECONNREFUSED' },
    ]);
    assert.match(
      stop.summary,
      new RegExp(`stopped agent \\(pid ${pid}\\) with SIGTERM in \\d+ ms: process-gone pid ${pid}.*port-closed 127\\.0\\.0\\.1:${b.port}`),
    );
    // The world agrees with the result.
    assert.equal(isAlive(pid), false);
    assert.equal(await answers(`${b.url}/health`), undefined);
  });

  it('an approved restart runs the agent as the inventory says and outlives the process that started it', async () => {
    const b = await box();
    const first = await startAgent(b);
    const h = harness();
    const workflowId = 'inc-truth-restart';
    await h.call('stopService', 'stop', { service: 'agent', manager: b.manager, graceMs: 3000 }, { workflowId });
    const oldKey = readEnvValue(readFileSync(b.envFile, 'utf8'), 'AGENT_API_KEY')!;
    const rotated = await h.call('rotateKey', 'rotate', { envFile: b.envFile, key: 'AGENT_API_KEY' }, { workflowId });
    assert.match(rotated.summary, /not independently confirmed: no check is configured for this credential/);
    assert.equal((rotated.data?.proof as { check: string }[])[0]!.check, 'none-configured');
    const newKey = readEnvValue(readFileSync(b.envFile, 'utf8'), 'AGENT_API_KEY')!;
    assert.notEqual(newKey, oldKey);

    // The approved startService runs in a "worker" of its own, which the test then kills.
    const worker = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        STEP_PROCESS,
        h.deps.home,
        workflowId,
        'startService',
        'start',
        JSON.stringify({ service: 'agent', manager: b.manager, settleMs: 300 }),
      ],
      { detached: true, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    killLater.push(worker.pid!);
    const line = await new Promise<string>((resolve) => createInterface({ input: worker.stdout! }).once('line', resolve));
    const outcome = JSON.parse(line) as { ok: boolean; message?: string; result?: { data: Record<string, unknown>; summary: string } };
    assert.ok(outcome.ok, outcome.message);
    const data = outcome.result!.data;
    const pid = readPidfile(b.pidfile)!;
    killLater.push(pid);
    assert.equal(data.pid, pid);
    assert.notEqual(pid, first);
    assert.deepEqual(
      (data.proof as { check: string; ok: boolean }[]).map((p) => [p.check, p.ok]),
      [
        ['process-running', true],
        ['port-open', true],
      ],
    );

    // Its own session: neither the worker's nor this test's; and not the worker's child.
    assert.equal(sessionOf(pid), pid);
    assert.notEqual(sessionOf(pid), sessionOf(worker.pid!));
    assert.notEqual(sessionOf(pid), sessionOf(process.pid));
    const ppid = Number(/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
    assert.notEqual(ppid, worker.pid);

    // The env file's variables, the rotated key included; the inventory's cwd and log file.
    const environ = Object.fromEntries(
      readFileSync(`/proc/${pid}/environ`, 'utf8')
        .split('\0')
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    assert.equal(environ.AGENT_API_KEY, newKey);
    assert.equal(environ.AGENT_MODEL, 'small');
    assert.equal(environ.AGENT_PORT, String(b.port));
    assert.equal(readlinkSync(`/proc/${pid}/cwd`), b.workdir);
    await until('the agent logs its start to the inventory log file', () => readFileSync(b.logFile, 'utf8').includes(`agent up pid=${pid} cwd=${b.workdir}`));
    assert.equal(readFileSync(b.logFile, 'utf8').match(/agent up/g)!.length, 2, 'appended after the first start, not truncated');
    assert.equal(await answers(`${b.url}/whoami`), 401);
    assert.equal((await fetch(`${b.url}/whoami`, { headers: { authorization: `Bearer ${newKey}` } })).status, 200);
    assert.ok(!JSON.stringify(outcome).includes(newKey), 'the key is not in the result');

    // Kill the worker that started it, its whole group: the agent stays up.
    signal(-worker.pid!, 'SIGKILL');
    await until('the worker is gone', () => !isAlive(worker.pid!));
    await sleep(500);
    assert.ok(isAlive(pid), 'the agent outlives the worker that started it');
    assert.equal(await answers(`${b.url}/health`), 200);
  });

  it('a rotation with a check proves the old key refused and the new one accepted after the restart', async () => {
    const b = await box();
    const first = await startAgent(b);
    const oldKey = readEnvValue(readFileSync(b.envFile, 'utf8'), 'AGENT_API_KEY')!;
    const h = harness();
    const args = {
      envFile: b.envFile,
      key: 'AGENT_API_KEY',
      restart: [{ service: 'agent', manager: b.manager }],
      check: { url: `${b.url}/whoami` },
    };
    const plan = await h.call('rotateKey', 'rotate', args, { plan: true });
    assert.match(plan.summary, new RegExp(`check that ${b.url}/whoami refuses the old value and accepts the new one`));
    const result = await h.call('rotateKey', 'rotate', args);
    const pid = readPidfile(b.pidfile)!;
    killLater.push(pid);
    assert.equal(isAlive(first), false);
    assert.equal(sessionOf(pid), pid);
    assert.deepEqual(
      (result.data?.proof as { check: string; ok: boolean; detail: string }[]).map((p) => [p.check, p.ok, p.detail]),
      [
        ['old-credential-refused', true, 'answered 401'],
        ['new-credential-accepted', true, 'answered 200'],
      ],
    );
    assert.match(result.summary, /old-credential-refused at .*: yes \(answered 401\)/);
    const restarts = result.data?.restarts as { restarted: boolean; proof: { check: string }[] }[];
    assert.deepEqual(
      restarts[0]!.proof.map((p) => p.check),
      ['process-gone', 'process-running', 'port-open'],
    );
    // The world: the old key is refused by the running agent.
    assert.equal((await fetch(`${b.url}/whoami`, { headers: { authorization: `Bearer ${oldKey}` } })).status, 401);
    const text = JSON.stringify([plan, result]);
    assert.ok(!text.includes(oldKey) && !text.includes(readEnvValue(readFileSync(b.envFile, 'utf8'), 'AGENT_API_KEY')!), 'no key in the results');
    assert.equal(fingerprint(oldKey), result.data?.oldFingerprint);
  });
});
