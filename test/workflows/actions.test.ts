/**
 * Every action in one incident on a real Temporal server, as a playbook runs them: a live
 * run, then the same playbook as a drill. A canary secret goes through the rotation and is
 * then looked for in the workflow history (decoded), the worker's logs, the evidence, the
 * journal and the scan reports. `tourniquet evidence verify` checks the evidence against the
 * history. (lockNetwork runs in the activity tests, inside a netns they create: a worker here
 * acts on the host's own network.)
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { execa } from 'execa';
import { pino } from 'pino';
import { sha256 } from '../../common/hash';
import { readPidfile, signal } from '../../activities/process';
import { readEnvValue } from '../../activities/rotate';

import { PROJECT_ROOT } from '../../common/paths';
import { createWorker } from '../../worker/create';
import type { IncidentInputDraft, IncidentProgress } from '../../contract';
import { tempDir } from '../helpers/activity';
import { startTestServer, workflowBundle, type TestServer } from '../helpers/temporal';
import { startDraft } from '../helpers/start';

let env: TestServer;
let worker: Worker;
let running: Promise<void>;
const home = tempDir('tourniquet-actions-home-');
const taskQueue = `actions-${randomUUID()}`;
const logLines: string[] = [];
const pids: number[] = [];

before(async () => {
  env = await startTestServer();
  const logger = pino({ level: 'trace' }, { write: (s: string) => void logLines.push(s) });
  worker = await createWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, home, logger, workflowBundle: await workflowBundle() });
  running = worker.run();
});

after(async () => {
  for (const pid of pids) signal(-pid, 'SIGKILL');
  worker.shutdown();
  await running;
  await env.stop();
});

interface Box {
  root: string;
  env: string;
  env2: string;
  pidfile: string;
  workspace: string;
  backup: string;
  leak: string;
  canary: string;
}

async function sandbox(): Promise<Box> {
  const root = tempDir('tourniquet-actions-');
  const canary = `sk-live-canary${randomUUID().replace(/-/g, '')}`;
  const box: Box = {
    root,
    env: join(root, 'gateway.env'),
    env2: join(root, 'worker.env'),
    pidfile: join(root, 'svc.pid'),
    workspace: join(root, 'workspace'),
    backup: join(root, 'workspace.tar.gz'),
    leak: join(root, 'public', 'transcript.txt'),
    canary,
  };
  writeFileSync(box.env, `AGENT_API_KEY=${canary}\n`, { mode: 0o600 });
  writeFileSync(box.env2, `AGENT_API_KEY=${canary}\n`, { mode: 0o600 });
  mkdirSync(box.workspace);
  writeFileSync(join(box.workspace, 'notes.md'), 'good\n');
  await execa('tar', ['--create', '--gzip', '--file', box.backup, '--directory', box.workspace, '.']);
  writeFileSync(join(box.workspace, 'notes.md'), 'deleted by the agent\n');
  mkdirSync(join(root, 'public'));
  writeFileSync(box.leak, `user pasted ${canary}\n`);
  writeFileSync(join(root, 'agent.log'), `2026-11-22T10:00:00Z using key ${canary}\n`);
  const child = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
  child.unref();
  pids.push(child.pid!);
  writeFileSync(box.pidfile, `${child.pid}\n`);
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
  return box;
}

function playbook(b: Box, mode: 'live' | 'drill'): IncidentInputDraft {
  const svc = { service: 'agent', manager: { kind: 'process' as const, pidfile: b.pidfile } };
  return {
    class: 'secret-exposure',
    severity: 'S1',
    title: 'API key in a published transcript',
    mode,
    steps: [
      { id: 'open', action: 'notify', phase: 'freeze', args: { text: 'incident opened: freezing the agent' } },
      { id: 'freeze', action: 'stopService', args: { ...svc, graceMs: 2000 } },
      { id: 'sweep', action: 'sweepHost', args: { root: b.root, skip: ['systemd', 'debsums', 'docker', 'logins'] } },
      {
        id: 'evidence',
        action: 'captureEvidence',
        args: { logs: [{ path: join(b.root, 'agent.log') }], services: [svc], commands: [{ name: 'env.txt', argv: ['cat', b.env] }], redactEnvFiles: [b.env] },
      },
      { id: 'snapshot', action: 'snapshotDisk', args: { target: b.workspace } },
      { id: 'rotate', action: 'rotateKey', args: { key: 'AGENT_API_KEY', envFiles: [b.env, b.env2], restart: [svc] } },
      { id: 'unpublish', action: 'quarantine', args: { path: b.leak, placeholder: 'removed\n', reason: 'secret in a public transcript' } },
      { id: 'scan', action: 'scanLeaks', args: { paths: [join(b.root, 'agent.log'), b.env] } },
      { id: 'restore', action: 'restoreBackup', args: { target: b.workspace, archive: b.backup } },
      { id: 'republish', action: 'unquarantine', args: { path: b.leak } },
      { id: 'restart', action: 'startService', args: { ...svc, settleMs: 200 } },
      { id: 'smoke', action: 'smokeTest', args: { kind: 'command', argv: ['test', '-s', join(b.workspace, 'notes.md')] } },
      { id: 'mark', action: 'runCommand', args: { argv: ['touch', join(b.root, 'marked')], undo: { argv: ['rm', join(b.root, 'marked')] } } },
      { id: 'update', action: 'notify', args: { text: 'contained; key rotated', level: 'warning' } },
    ],
  };
}

/** The incident resolved; otherwise the message lists the steps that did not succeed. */
function assertResolved(result: IncidentProgress): void {
  const unfinished = result.steps.filter((s) => s.status !== 'succeeded');
  assert.equal(result.state, 'resolved', JSON.stringify(unfinished, null, 2));
}

const MUTATING_WITH_UNDO = ['freeze', 'unpublish', 'restore', 'republish', 'restart', 'mark'];

it('runs every action in one playbook; the canary is nowhere; evidence verifies against history', async () => {
  const b = await sandbox();
  const { id, handle } = await startDraft(env.client, playbook(b, 'live'), { taskQueue });
  const result = await handle.result();
  assertResolved(result);
  const step = (sid: string) => result.steps.find((s) => s.id === sid)!.result!;

  for (const sid of MUTATING_WITH_UNDO) assert.ok(step(sid).undo, `${sid} reports its undo`);
  assert.equal(step('rotate').undo, null);
  assert.equal(readFileSync(join(b.workspace, 'notes.md'), 'utf8'), 'good\n');
  assert.equal(readFileSync(b.leak, 'utf8'), `user pasted ${b.canary}\n`, 'put back as it was');
  const key = readEnvValue(readFileSync(b.env, 'utf8'), 'AGENT_API_KEY')!;
  assert.notEqual(key, b.canary);
  assert.equal(readEnvValue(readFileSync(b.env2, 'utf8'), 'AGENT_API_KEY'), key);
  assert.ok(existsSync(join(b.root, 'marked')));
  pids.push(readPidfile(b.pidfile)!);
  assert.ok((step('scan').findings as number) >= 1, 'the scan saw the (redacted) canary in the log');

  // The canary (and the new key) in no history event, log line, evidence, journal or scan report.
  const history = JSON.stringify(await handle.fetchHistory(), (k, v: unknown) =>
    k === 'data' && typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : v,
  );
  assert.ok(history.includes(String(step('rotate').oldFingerprint)), 'the decoded history is readable');
  const incident = join(home, 'incidents', id);
  const stored = ['evidence', 'journal', 'scans'].flatMap((d) =>
    readdirSync(join(incident, d), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8')),
  );
  for (const [where, text] of Object.entries({ history, logs: logLines.join(''), 'evidence, journal, scans': stored.join('\n') })) {
    assert.ok(!text.includes(b.canary), `the canary in ${where}`);
    assert.ok(!text.includes(key), `the new key in ${where}`);
  }
  assert.ok(logLines.join('').includes('status update'), 'the worker logs were captured');

  // Evidence verifies against the history; rewriting a file and its manifest together is caught.
  const cli = (...args: string[]) =>
    execa(process.execPath, [join(PROJECT_ROOT, 'bin', 'tourniquet.js'), 'evidence', 'verify', id, ...args], {
      env: { TEMPORAL_ADDRESS: env.address, TOURNIQUET_HOME: home, LOG_LEVEL: 'silent' },
      reject: false,
    });
  const ok = await cli();
  assert.equal(ok.exitCode, 0, ok.stderr + ok.stdout);
  assert.match(ok.stdout, /2 evidence folder\(s\) of .* verified against the workflow history/);
  const folder = String(step('evidence').folder);
  const manifestFile = join(folder, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { entries: { path: string; sha256: string }[] };
  const victim = manifest.entries[0]!;
  chmodSync(join(folder, victim.path), 0o600);
  writeFileSync(join(folder, victim.path), 'forged\n');
  victim.sha256 = sha256('forged\n');
  chmodSync(manifestFile, 0o600);
  writeFileSync(manifestFile, JSON.stringify(manifest));
  assert.equal((await cli('--offline')).exitCode, 0, 'consistent forgery passes the manifest alone');
  const caught = await cli();
  assert.equal(caught.exitCode, 8);
  assert.match(caught.stdout, /manifest\.json differs from the hash recorded in the workflow history/);
});

it('the same playbook as a drill plans every step and changes nothing', async () => {
  const b = await sandbox();
  const before = readFileSync(b.env, 'utf8');
  const { handle } = await startDraft(env.client, playbook(b, 'drill'), { taskQueue });
  const result = await handle.result();
  assertResolved(result);
  assert.ok(result.steps.every((s) => s.result?.plan === true));
  assert.equal(readFileSync(b.env, 'utf8'), before);
  assert.ok(existsSync(b.leak) && !existsSync(join(b.root, 'marked')));
  assert.equal(readFileSync(join(b.workspace, 'notes.md'), 'utf8'), 'deleted by the agent\n');
});
