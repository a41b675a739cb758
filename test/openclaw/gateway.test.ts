/**
 * The real OpenClaw gateway (2026.9.6 on Node 24, installed into .tools/openclaw by
 * `npm run setup:openclaw`, or here on first run), started once for this file with isolated
 * state on loopback, its model provider a recording stub of ours. Every assertion looks at
 * the world: HTTP status codes, files a shell command writes, /proc, TCP, what the model was
 * sent. Nothing here talks to the internet.
 *
 * Set TOURNIQUET_SKIP_OPENCLAW=1 to skip it (it needs ~1 GB of memory and ~2 minutes), and
 * TOURNIQUET_KEEP_OPENCLAW=1 to keep the gateway's temp folder (state, logs) afterwards.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  abortSession,
  connectGateway,
  cronStatus,
  fileAbsent,
  fileStopsGrowing,
  fingerprint,
  freezeAutomations,
  getConfig,
  health,
  listCronJobs,
  listSessions,
  lockDownExec,
  patchConfig,
  portClosed,
  processGone,
  processStartTime,
  readGatewayLock,
  readiness,
  resumeGateway,
  rotateGatewayToken,
  runAgentTurn,
  securityAudit,
  setCronJobEnabled,
  status,
  suspendGateway,
  systemPromptLacks,
  tokenAccepted,
  tokenRefused,
  toolsInvokeStatus,
  wsTokenRefused,
  configValue,
  cronQuiet,
  execDeniedByProbe,
  type GatewayConnection,
} from '../../activities/openclaw';
import { startGateway, type Gateway } from '../../server/openclaw/gateway';
import { discoverOpenClaw } from '../../server/openclaw/discover';
import { ensureOpenClaw, type OpenClawInstall } from '../../server/openclaw/install';
import { startModelStub, STUB_MODEL_ID, type ModelStub } from '../../server/openclaw/model-stub';

const skip = process.env.TOURNIQUET_SKIP_OPENCLAW === '1' ? 'TOURNIQUET_SKIP_OPENCLAW=1' : false;
const CANARY = 'POISON-MEMCANARY-7f3a';
const MINUTE = 60_000;

describe('the real OpenClaw gateway', { skip, timeout: 12 * MINUTE }, () => {
  let stub: ModelStub;
  let gateway: Gateway;
  let gw: GatewayConnection;
  let token: string;
  let install: OpenClawInstall;
  const wsUrl = () => `ws://127.0.0.1:${gateway.port}`;

  before(
    async () => {
      install = await ensureOpenClaw({ log: (line) => console.error(`openclaw test: ${line}`) });
      stub = await startModelStub();
      gateway = await startGateway({
        install,
        provider: { id: 'stub', config: stub.providerConfig(), model: STUB_MODEL_ID },
        workspaceFiles: { 'MEMORY.md': `# Memory\n\n- The operator's favourite word is ${CANARY}.\n` },
        keep: process.env.TOURNIQUET_KEEP_OPENCLAW === '1', // keep its temp folder (state, logs) for a post-mortem
      });
      token = gateway.token;
      gw = await connectGateway({ url: wsUrl(), token });
    },
    { timeout: 10 * MINUTE },
  );

  after(async () => {
    await gw?.close();
    await gateway?.stop();
    await stub?.close();
  });

  it('is ready, and its lock file names the live gateway process', async () => {
    const ready = await readiness(gateway.url);
    assert.equal(ready.httpStatus, 200, `/readyz failing: ${ready.failing.join(', ')}`);
    const lock = readGatewayLock(gateway.stateDir);
    assert.ok(lock, `no gateway.state.lock under ${gateway.stateDir}/tmp: OpenClaw moved its lock file, update readGatewayLock`);
    assert.equal(lock.pid, gateway.pid);
    assert.equal(lock.port, gateway.port);
    assert.equal(processStartTime(lock.pid), lock.startTime, 'the lock file start time is /proc/<pid>/stat field 22');
    assert.equal((await status(gw)).pid, gateway.pid, 'the status RPC reports the same pid');
  });

  it('refuses a wrong token and accepts the right one, over HTTP and WebSocket', async () => {
    const wrong = 'f'.repeat(48);
    assert.deepEqual(await tokenRefused(gateway.url, wrong, 0), { holds: true, check: 'POST /tools/invoke with this token answers 401', observed: 'HTTP 401' });
    assert.equal((await tokenAccepted(gateway.url, token, 0)).holds, true);
    const ws = await wsTokenRefused(wsUrl(), wrong);
    assert.equal(ws.holds, true, ws.observed);
    assert.deepEqual([...gw.hello.auth.scopes].sort(), ['operator.admin', 'operator.read', 'operator.write']);
  });

  it('runs an agent turn on the stub model, with MEMORY.md in its system prompt', async () => {
    const since = Date.now();
    const turn = await runAgentTurn(gw, { message: 'hello from the test', sessionKey: 'agent:main:hello' });
    assert.equal(turn.status, 'ok', `the agent turn ended ${turn.status}: see ${gateway.logPath}`);
    assert.match(turn.reply ?? '', /STUB_REPLY: .*hello from the test/, 'the reply comes from the stub model: check models.providers.stub in the test config');
    const request = stub.requests.find((r) => r.at >= since && r.lastUser.includes('hello from the test'));
    assert.ok(request, 'the stub recorded the turn');
    assert.ok(request.systemPrompt.includes(CANARY), 'MEMORY.md is injected into the system prompt');
    assert.ok(request.toolNames.includes('exec'), `exec is offered to the model (offered: ${request.toolNames.join(', ')})`);
    assert.equal(systemPromptLacks(stub.requests, CANARY, since).holds, false, 'the oracle sees the canary');
  });

  it('a model-requested exec runs; after lockDownExec the same request is denied and writes nothing', async () => {
    const before = join(gateway.root, 'marker-before');
    const first = await runAgentTurn(gw, { message: `RUN_EXEC:echo contained > ${before}`, sessionKey: 'agent:main:exec-1' });
    assert.equal(first.status, 'ok', `the agent turn ended ${first.status}: see ${gateway.logPath}`);
    assert.deepEqual(first.successfulToolNames, ['exec'], 'the stub asked for exec and the gateway ran it');
    assert.equal(readFileSync(before, 'utf8').trim(), 'contained', 'the exec tool really ran the shell command');

    const lever = await lockDownExec(gw);
    assert.ok(lever.changedPaths.length > 0, 'the gateway reports a config change');
    assert.equal(configValue((await getConfig(gw)).config, 'tools.exec.mode'), 'deny');
    assert.deepEqual(lever.undo, { tools: { exec: { mode: null } } });

    const afterLock = join(gateway.root, 'marker-after');
    const since = Date.now();
    const denied = await execDeniedByProbe(gw, {
      markerPath: afterLock,
      sessionKey: 'agent:main:exec-2',
      askedForExec: () => stub.requests.some((r) => r.at >= since && r.toolResult !== undefined),
    });
    assert.equal(denied.holds, true, `${denied.check}: ${denied.observed}`);
    const toolResult = stub.requests.find((r) => r.at >= since && r.toolResult !== undefined)?.toolResult;
    assert.match(toolResult ?? '', /exec denied/, 'the model is told the exec was denied');
    assert.deepEqual(fileAbsent(afterLock), { holds: true, check: `no file at ${afterLock}`, observed: 'absent' });

    await patchConfig(gw, lever.undo);
    const restored = join(gateway.root, 'marker-restored');
    const third = await runAgentTurn(gw, { message: `RUN_EXEC:echo again > ${restored}`, sessionKey: 'agent:main:exec-3' });
    assert.deepEqual(third.successfulToolNames, ['exec'], 'the undo patch gives exec back');
    assert.ok(existsSync(restored));
    await lockDownExec(gw); // the rest of the file runs locked down
  });

  it('without MEMORY.md, the next turn’s system prompt no longer carries its content', async () => {
    const quarantine = join(gateway.root, 'quarantine');
    mkdirSync(quarantine, { recursive: true });
    renameSync(join(gateway.workspaceDir, 'MEMORY.md'), join(quarantine, 'MEMORY.md'));
    const since = Date.now();
    const turn = await runAgentTurn(gw, { message: 'anything to remember?', sessionKey: 'agent:main:after-quarantine' });
    assert.equal(turn.status, 'ok', `the agent turn ended ${turn.status}: see ${gateway.logPath}`);
    const proof = systemPromptLacks(stub.requests, CANARY, since);
    assert.equal(proof.holds, true, proof.observed);
  });

  it('freezing automations stops a shell-payload cron job and the heartbeat', async () => {
    const ticks = join(gateway.root, 'cron-ticks');
    const job = await gw.call<{ id: string }>('cron.add', {
      name: 'runaway-tick',
      schedule: { kind: 'every', everyMs: 3_000 },
      payload: { kind: 'command', argv: ['sh', '-c', `date +%s%N >> ${ticks}`] },
      delivery: { mode: 'none' },
    });
    // The job must really run before the freeze, or "it stopped" would prove nothing.
    const deadline = Date.now() + 2 * MINUTE;
    while (lineCount(ticks) < 2) {
      assert.ok(Date.now() < deadline, `the cron job did not run twice within 2 minutes (${lineCount(ticks)} runs): is cron enabled in the test config?`);
      await sleep(500);
    }

    const lever = await freezeAutomations(gw);
    assert.ok(lever.changedPaths.length > 0, 'the gateway reports a config change');
    assert.deepEqual(lever.undo, { cron: { skipMissedJobs: null, enabled: null }, agents: { defaults: { heartbeat: { every: null } } } });

    await sleep(1_000); // a run that had already started may still append its line
    const [file, scheduler] = await Promise.all([fileStopsGrowing(ticks, 10_000), cronQuiet(gw, job.id, 10_000)]);
    assert.equal(file.holds, true, `${file.check}: ${file.observed}`);
    assert.equal(scheduler.holds, true, `${scheduler.check}: ${scheduler.observed}`);
    const heartbeat = (await status(gw)).heartbeat?.agents?.find((a) => a.agentId === 'main');
    assert.deepEqual({ enabled: heartbeat?.enabled, every: heartbeat?.every }, { enabled: false, every: 'disabled' });

    const disabled = await setCronJobEnabled(gw, job.id, false);
    assert.equal(disabled.enabled, false);
    const listed = (await listCronJobs(gw)).find((j) => j.id === job.id);
    assert.deepEqual({ enabled: listed?.enabled, argv: listed?.payload.argv?.[0] }, { enabled: false, argv: 'sh' });
    assert.equal((await cronStatus(gw)).enabled, false);
  });

  it('suspending drains the gateway (readyz draining, HTTP 503) until it is resumed', async () => {
    let lease = await suspendGateway(gw, 'tourniquet-test');
    for (let tries = 0; lease.status === 'busy' && tries < 30; tries++) {
      await sleep(1_000); // background work (a review, a heartbeat) still in flight
      lease = await suspendGateway(gw, 'tourniquet-test');
    }
    assert.equal(lease.status, 'ready', `gateway.suspend.prepare stayed busy: ${JSON.stringify(lease.blockers)}`);
    assert.ok(lease.suspensionId && lease.expiresAtMs && lease.expiresAtMs > Date.now());
    const draining = await readiness(gateway.url);
    assert.deepEqual({ status: draining.httpStatus, failing: draining.failing }, { status: 503, failing: ['gateway-draining'] });
    assert.equal(await toolsInvokeStatus(gateway.url, token), 503);
    assert.deepEqual(await resumeGateway(gw, lease.suspensionId), { ok: true, status: 'running', resumed: true });
    assert.equal((await readiness(gateway.url)).httpStatus, 200);
    assert.equal(await toolsInvokeStatus(gateway.url, token), 200);
  });

  it('reads health, config (secrets redacted), sessions and cron jobs, and aborts a session', async () => {
    const snapshot = (await health(gw)) as { ok?: boolean; plugins?: { errors?: unknown[] } };
    assert.equal(snapshot.ok, true);
    assert.deepEqual(snapshot.plugins?.errors, []);
    const config = await getConfig(gw);
    assert.equal(config.path, gateway.configPath);
    assert.ok(!JSON.stringify(config.config).includes(token), 'config.get never returns the gateway token');
    const sessions = await listSessions(gw);
    assert.ok(
      sessions.some((s) => s.key === 'agent:main:hello'),
      `the earlier turn's session is listed (got ${sessions.map((s) => s.key).join(', ')})`,
    );
    const jobs = await listCronJobs(gw);
    assert.ok(
      jobs.some((j) => j.declarationKey === 'heartbeat:main'),
      'the heartbeat is itself a cron job',
    );
    const abort = await abortSession(gw, 'agent:main:hello');
    assert.equal(abort.ok, true);
  });

  it('the security audit (CLI) finds nothing critical', { timeout: 3 * MINUTE }, async () => {
    const audit = await securityAudit((args) => gateway.cli(args));
    assert.equal(
      audit.summary.critical,
      0,
      audit.findings
        .filter((f) => f.severity === 'critical')
        .map((f) => f.checkId)
        .join(', '),
    );
    assert.ok(Array.isArray(audit.findings));
  });

  it('rotating the token kills the old one (HTTP 401, WebSocket refused, open connection closed) and the new one works', async () => {
    const old = token;
    const rotated = await rotateGatewayToken(gw);
    token = rotated.token;
    assert.deepEqual(rotated.changedPaths, ['gateway.auth.token']);
    assert.match(rotated.fingerprint, /^sha256:[0-9a-f]{12}$/);
    const refused = await tokenRefused(gateway.url, old);
    assert.equal(refused.holds, true, refused.observed);
    const accepted = await tokenAccepted(gateway.url, token);
    assert.equal(accepted.holds, true, accepted.observed);
    const ws = await wsTokenRefused(wsUrl(), old);
    assert.equal(ws.holds, true, ws.observed);
    await assert.rejects(gw.call('health', {}), /closed/, 'the connection opened with the old token is closed');
    gw = await connectGateway({ url: wsUrl(), token });
    assert.ok(JSON.parse(readFileSync(gateway.configPath, 'utf8')).gateway.auth.token === token, 'the new token is persisted in openclaw.json');
  });

  it('discovery reads the gateway, its credentials (fingerprints only), skills and cron jobs from its state', async () => {
    const skillDir = join(gateway.workspaceDir, 'skills', 'evil-skill');
    mkdirSync(skillDir, { recursive: true });
    writeFileSync(join(skillDir, 'SKILL.md'), '---\nname: evil-skill\ndescription: test\n---\nDo things.\n');
    const found = await discoverOpenClaw({ stateDir: gateway.stateDir, sqliteNode: install.node, env: {} });
    assert.deepEqual(found.notes, []);
    assert.equal(found.gateway.configPath, gateway.configPath);
    assert.equal(found.gateway.port, gateway.port);
    assert.deepEqual(found.gateway.token, { source: 'config', file: gateway.configPath, path: 'gateway.auth.token', fingerprint: fingerprint(token) });
    assert.deepEqual(found.gateway.running && { pid: found.gateway.running.pid, port: found.gateway.running.port }, { pid: gateway.pid, port: gateway.port });
    assert.deepEqual(
      found.credentials.map((c) => c.name),
      ['gateway.auth.token', 'models.providers.stub.apiKey'],
    );
    assert.ok(!JSON.stringify(found).includes(token), 'no secret value in the discovery');
    assert.ok(!JSON.stringify(found).includes('sk-tourniquet-stub'), 'no secret value in the discovery');
    assert.deepEqual(
      found.skills.find((s) => s.key === 'evil-skill'),
      { key: 'evil-skill', location: 'workspace', path: join(skillDir, 'SKILL.md'), enabled: true },
    );
    const tick = found.cronJobs?.find((j) => j.name === 'runaway-tick');
    assert.deepEqual(tick && { enabled: tick.enabled, payloadKind: tick.payloadKind, shell: tick.command?.[0] }, {
      enabled: false,
      payloadKind: 'command',
      shell: 'sh',
    });
    assert.ok(found.cronJobs?.some((j) => j.declarationKey === 'heartbeat:main'));
    assert.ok(found.paths.databases.some((d) => d.endsWith('openclaw-agent.sqlite')));
  });

  it('SIGTERM stops it: the process with that start time is gone, the port is closed, the lock is released', async () => {
    const lock = readGatewayLock(gateway.stateDir);
    assert.ok(lock);
    await gw.close();
    process.kill(lock.pid, 'SIGTERM');
    const deadline = Date.now() + MINUTE;
    while (!processGone(lock.pid, lock.startTime).holds) {
      assert.ok(Date.now() < deadline, `gateway ${lock.pid} still running a minute after SIGTERM`);
      await sleep(250);
    }
    const port = await portClosed(lock.port);
    assert.equal(port.holds, true, port.observed);
    assert.equal(readGatewayLock(gateway.stateDir), undefined, 'the gateway removed its lock file');
  });
});

function lineCount(path: string): number {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).length : 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
