/**
 * Playbooks on a real Temporal server against the demo sandbox: every built-in drills cleanly
 * without touching anything, one runs for real, and the run-time guards hold.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fingerprint } from '../../common/hash';
import { isAlive, readPidfile } from '../../activities/process';
import { readEnvValue } from '../../activities/rotate';
import { compilePlaybook, findPlaybook, listPlaybooks, YamlSource, type Inventory } from '../../compiler';
import { answerOperator, approve, deny, getProgress, recordControl } from '../../client/incidents';
import { gatewayStarts, SANDBOX_PARAMS, type Sandbox } from '../../demo/sandbox';
import type { Problem } from '../../common/errors';
import { approveSignal, type IncidentProgress } from '../../contract';
import { tempDir } from '../helpers/activity';
import { startSandboxWorld } from '../helpers/world';
import { fileState } from '../helpers/sandbox';
import { waitFor, type TestServer } from '../helpers/temporal';
import { namesBelieved, startDraft } from '../helpers/start';
import { PLAYBOOK_PARAMS } from '../helpers/playbooks';

let env: TestServer;
let sb: Sandbox;
let inventory: Inventory;
const home = tempDir('tourniquet-pb-home-');
const taskQueue = `pb-${randomUUID()}`;

let stop: () => Promise<void>;
before(async () => void ({ env, sb, inventory, stop } = await startSandboxWorld({ home, taskQueue })));
after(() => stop());

// These tests are about the playbooks, not who approves: typed names are believed.
const compile = (name: string, extra: { params?: Record<string, string>; mode?: 'live' | 'drill'; source?: YamlSource } = {}) =>
  namesBelieved(
    compilePlaybook(extra.source ?? YamlSource.read(findPlaybook(name)), {
      inventory,
      params: extra.params ?? PLAYBOOK_PARAMS[name]!,
      mode: extra.mode ?? 'live',
      home,
    }),
  );

const until = (id: string, what: string, check: (p: IncidentProgress) => boolean) =>
  waitFor(what, async () => {
    const p = await getProgress(env.client, id);
    return check(p) ? p : undefined;
  });

describe('built-in playbooks drill cleanly against the sandbox', () => {
  // The sandbox runs no OpenClaw gateway: those drill cleanly in test/openclaw/incident.test.ts.
  for (const p of listPlaybooks().filter((x) => x.builtin && !x.name.startsWith('openclaw-'))) {
    it(`${p.name}: every step says what it would do; files and processes untouched`, async () => {
      const before = fileState(sb);
      const pid = readPidfile(sb.pidfile)!;
      const { id, handle } = await startDraft(env.client, compile(p.name, { mode: 'drill' }), { taskQueue });
      const result = await handle.result();
      assert.equal(
        result.state,
        'resolved',
        JSON.stringify(
          result.steps.filter((s) => s.error),
          null,
          2,
        ),
      );
      for (const step of result.steps.filter((s) => s.action !== 'recordControl')) {
        assert.equal(step.result?.plan, true, `${step.id} ran in plan mode`);
        assert.match(step.summary!, /^would /, step.id);
      }
      assert.ok(isAlive(pid), 'the gateway still runs');
      assert.equal(readPidfile(sb.pidfile), pid);
      assert.deepEqual(fileState(sb), before, 'no file in the sandbox changed');
      assert.equal(existsSync(join(home, 'incidents', id)), false, 'no incident state was written');
    });
  }

  for (const p of listPlaybooks().filter((x) => x.builtin && x.name.startsWith('openclaw-'))) {
    it(`${p.name}: a drill against a gateway that is not there fails every OpenClaw step, saying what to fix, and changes nothing`, async () => {
      const stateDir = join(sb.root, 'no-openclaw');
      const withClaw: Inventory = { ...inventory, openclaw: { claw: { stateDir, port: sb.port + 7, tokenFrom: 'config' } } };
      const before = fileState(sb);
      const input = compilePlaybook(YamlSource.read(findPlaybook(p.name)), { inventory: withClaw, params: PLAYBOOK_PARAMS[p.name]!, mode: 'drill', home });
      const { id, handle } = await startDraft(env.client, input, { taskQueue });
      await handle.result().catch(() => undefined);
      const progress = await getProgress(env.client, id);
      assert.equal(progress.state, 'failed');
      const claw = progress.steps.filter((s) => s.action.startsWith('openclaw'));
      assert.ok(claw.length >= 1, 'the playbook acts on the gateway');
      assert.equal(claw.length, input.steps.filter((s) => s.action.startsWith('openclaw')).length, 'every OpenClaw step was tried');
      // A step that changes or restarts a target is refused by the run-time guard first: its capture failed (rules 2, 4).
      for (const step of claw) {
        const fx = input.steps.find((s) => s.id === step.id)!.effects;
        const refusal = fx?.restarts.length
          ? /rule 4 \(no restart before capture\): .* no capture of it has succeeded/
          : fx?.changes.length
            ? /rule 2 \(evidence before destruction\): .* no capture or snapshot of it has succeeded/
            : new RegExp(`TargetNotFound: claw: config ${stateDir}/openclaw.json does not exist: fix stateDir/configPath`);
        assert.match(step.error ?? '', refusal, step.id);
      }
      assert.deepEqual(fileState(sb), before, 'no file in the sandbox changed');
      assert.equal(existsSync(join(home, 'incidents', id)), false, 'no incident state was written');
    });
  }

  it('a drill reports a step that would fail instead of stopping at it', async () => {
    const broken = {
      ...inventory,
      credentials: { 'agent-api-key': { method: 'env-file' as const, envFiles: ['/nonexistent/.env'], key: 'AGENT_API_KEY', restart: [] } },
    };
    const input = compilePlaybook(YamlSource.read(findPlaybook('secret-exposure')), {
      inventory: broken,
      params: SANDBOX_PARAMS['secret-exposure']!,
      mode: 'drill',
    });
    const { id, handle } = await startDraft(env.client, input, { taskQueue });
    await handle.result().catch(() => undefined);
    const p = await getProgress(env.client, id);
    assert.equal(p.state, 'failed');
    const rotate = p.steps.find((s) => s.action === 'rotateKey')!;
    assert.match(rotate.error!, /TargetNotFound: env file \/nonexistent\/\.env cannot be read/);
    assert.equal(p.steps.at(-1)!.status, 'succeeded', 'later steps were still drilled');
  });
});

describe('a built-in playbook for real', () => {
  it('secret-exposure on the sandbox: rotate, capture, approve, restart, verify, control, note', async () => {
    const oldKey = readEnvValue(readFileSync(sb.envFile, 'utf8'), 'AGENT_API_KEY')!;
    const starts = gatewayStarts(sb).length;
    const { id, handle } = await startDraft(env.client, compile('secret-exposure'), { taskQueue });
    await until(id, 'the restart gate', (p) => p.pendingApprovals[0]?.step === 'restart-service');
    await approve(env.client, id, { step: 'restart-service', by: 'alice' });
    const waiting = await until(id, 'the control gate', (p) => p.state === 'awaiting-control');
    assert.ok(waiting.timeline.some((e) => e.kind === 'control-awaited' && /rule 7/.test(e.message)));
    assert.ok(!waiting.timeline.some((e) => e.kind === 'rule-violation'), 'the normal wait for a control breaks no rule');
    await assert.rejects(recordControl(env.client, 'inc-missing', { kind: 'scrub-rule', note: 'x', by: 'bob' }), /no incident "inc-missing"/);
    await recordControl(env.client, id, { kind: 'scrub-rule', note: 'secret scanner in pre-commit', by: 'bob' });
    const result = await handle.result();
    assert.equal(result.state, 'resolved');
    assert.equal(result.playbook, 'secret-exposure');

    const newKey = readEnvValue(readFileSync(sb.envFile, 'utf8'), 'AGENT_API_KEY')!;
    assert.notEqual(newKey, oldKey);
    assert.equal(gatewayStarts(sb).length, starts + 1);
    assert.ok(gatewayStarts(sb).at(-1)!.includes(fingerprint(newKey)), 'restarted with the new key');
    const note = readFileSync(String(result.steps.at(-1)!.result?.path), 'utf8');
    assert.match(note, /scrub-rule \(added a scrub rule or publish check\): secret scanner in pre-commit \(by bob/);
    assert.match(note, /verify-service: GET .* → 200/);
    assert.ok(note.includes(fingerprint(oldKey)), 'the note names the old key by fingerprint');
    assert.ok(!note.includes(oldKey) && !note.includes(newKey), 'no secret in the note');
  });
});

describe('run-time guards and human answers', () => {
  /** A playbook file written for one test, compiled against the sandbox inventory. */
  function custom(body: string, klass = 'service-outage'): YamlSource {
    const file = join(tempDir('tourniquet-pb-'), 'custom.yaml');
    writeFileSync(file, `name: custom\nclass: ${klass}\ndescription: test\nseverity: S2\n${body}`);
    return YamlSource.read(file);
  }

  it('refuses a restart at run time when its capture was skipped (rule 4)', async () => {
    const source = custom(`phases:
  preserve:
    - { id: capture, action: captureEvidence, approval: { onDeny: skip }, args: { services: [gateway] } }
  recover:
    - { id: stop, action: stopService, args: { service: gateway } }
    - { id: restart, action: startService, args: { service: gateway } }
  learn:
    - { id: note, action: writeNote }
`);
    const pid = readPidfile(sb.pidfile)!;
    const { id, handle } = await startDraft(env.client, compile('custom', { source }), { taskQueue });
    await until(id, 'the capture gate', (p) => p.state === 'awaiting-approval');
    await deny(env.client, id, { step: 'capture', by: 'bob', reason: 'no time' });
    await assert.rejects(handle.result());
    const p = await getProgress(env.client, id);
    assert.equal(p.state, 'failed');
    const restart = p.steps.find((s) => s.id === 'restart')!;
    assert.match(restart.error!, /rule 4 \(no restart before capture\): step "restart" would restart "gateway" but no capture of it has succeeded/);
    assert.equal(restart.attempts, 0, 'the activity never ran');
    // The stop before it did run: bring the gateway back for the next tests.
    assert.equal(isAlive(pid), false);
    const { startGateway } = await import('../../demo/sandbox');
    await startGateway(sb);
  });

  it('asks the operator when a step fails with onFailure: ask; retry, then skip', async () => {
    const source = custom(`phases:
  contain:
    - { id: flaky, action: smokeTest, onFailure: ask, retry: { maximumAttempts: 1 }, args: { check: down } }
    - { id: after, action: smokeTest, args: { check: gateway-health } }
  learn:
    - { id: control, action: recordControl, args: { kind: circuit-breaker, note: "health probe now gates restarts" } }
    - { id: note, action: writeNote }
`);
    const withDown = { ...inventory, checks: { ...inventory.checks, down: { url: 'http://127.0.0.1:9/health', expectStatus: 200 } } };
    const input = compilePlaybook(source, { inventory: withDown, params: {}, home });
    const { id, handle } = await startDraft(env.client, input, { taskQueue });
    await until(id, 'the operator question', (p) => p.state === 'awaiting-operator');
    await assert.rejects(answerOperator(env.client, id, { step: 'after', by: 'ann', decision: 'skip' }), /not waiting for an operator; "flaky" is/);
    await answerOperator(env.client, id, { step: 'flaky', by: 'ann', decision: 'retry' });
    await until(id, 'the second question', (p) => p.state === 'awaiting-operator' && p.timeline.filter((e) => e.kind === 'operator-asked').length === 2);
    await answerOperator(env.client, id, { step: 'flaky', by: 'ann', decision: 'skip' });
    const result = await handle.result();
    assert.equal(result.state, 'resolved');
    assert.deepEqual(
      result.steps.map((s) => s.status),
      ['skipped', 'succeeded', 'succeeded', 'succeeded'],
    );
    assert.deepEqual(
      result.controls.map((c) => c.kind),
      ['circuit-breaker'],
      'a control declared in the playbook counts',
    );
    assert.deepEqual(
      result.timeline.filter((e) => e.kind === 'operator-answered').map((e) => e.message),
      ['retry by ann', 'skip by ann'],
    );
  });

  it('needs a quorum of allowed approvers; a gate times out per its policy', async () => {
    const source = custom(`phases:
  verify:
    - { id: two-person, action: smokeTest, approval: { approvers: [oncall], quorum: 2 }, args: { check: gateway-health } }
    - { id: quick, action: smokeTest, approval: { timeout: 1s, onTimeout: skip }, args: { check: gateway-health } }
  learn:
    - { id: control, action: recordControl, args: { kind: approval-gate, note: "two people approve restores" } }
    - { id: note, action: writeNote }
`);
    const { id, handle } = await startDraft(env.client, compile('custom', { source, params: {} }), { taskQueue });
    await until(id, 'the two-person gate', (p) => p.pendingApprovals[0]?.step === 'two-person');
    // Through the update the caller hears why; the same through a signal lands in the timeline.
    await assert.rejects(
      approve(env.client, id, { step: 'two-person', by: 'mallory' }),
      (e: Problem) => e.kind === 'Refused' && /mallory may not decide step "two-person" \(allowed: alice, bob, carol\)/.test(e.message),
    );
    await env.client.workflow.getHandle(id).signal(approveSignal, { step: 'two-person', by: 'mallory' });
    await until(id, 'ignored', (p) => p.timeline.some((e) => e.kind === 'signal-ignored'));
    await approve(env.client, id, { step: 'two-person', by: 'alice' });
    await assert.rejects(
      approve(env.client, id, { step: 'two-person', by: 'alice' }),
      (e: Problem) => e.kind === 'Refused' && /alice already approved step "two-person"; it needs 2 different people/.test(e.message),
    );
    const one = await until(id, 'the first approval', (p) => p.steps[0]!.approvedBy?.length === 1);
    assert.equal(one.steps[0]!.status, 'awaiting-approval', 'one approval is not enough');
    assert.equal(one.pendingApprovals[0]!.needed, 1);
    await approve(env.client, id, { step: 'two-person', by: 'bob' });
    const result = await handle.result();
    assert.deepEqual(
      result.steps.map((s) => s.status),
      ['succeeded', 'skipped', 'succeeded', 'succeeded'],
    );
    assert.deepEqual(result.steps[0]!.approvedBy, ['alice', 'bob']);
    assert.ok(result.timeline.some((e) => e.kind === 'signal-ignored' && /mallory may not decide/.test(e.message)));
    assert.ok(result.timeline.some((e) => e.kind === 'approval-timed-out' && e.step === 'quick'));
  });
});
