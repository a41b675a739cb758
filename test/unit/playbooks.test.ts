import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { checkPlaybook, compilePlaybook, formatProblems, listPlaybooks, loadInventory, YamlSource } from '../../compiler';
import { PROJECT_ROOT } from '../../common/paths';
import { jsonSchemas, SCHEMAS_DIR } from '../../compiler/write-schemas';
import { Problem } from '../../common/errors';
import { INCIDENT_CLASSES } from '../../contract';
import { PLAYBOOK_PARAMS, testInventory } from '../helpers/playbooks';

const inventory = testInventory();
const EXAMPLE_INVENTORY = join(PROJECT_ROOT, 'examples', 'tourniquet.yaml');

function playbook(body: string, head = 'class: service-outage') {
  return YamlSource.parse('test.yaml', `name: test\n${head}\ndescription: a test\nseverity: S2\nparameters:\n  service: { type: service }\n${body}`);
}

/** Problems found compiling `source` against the test inventory, as text. */
function problems(source: YamlSource, params: Record<string, string> = { service: 'gateway' }, home?: string): string {
  return formatProblems(source.file, checkPlaybook(source, { inventory, params, ...(home ? { home } : {}) }).problems);
}

const NOTE = `  learn:\n    - { id: note, action: writeNote }\n`;

describe('built-in playbooks', () => {
  const builtins = listPlaybooks().filter((p) => p.builtin);

  it('cover every incident class of the runbook', () => {
    // Some classes have a playbook per target kind (prompt-injection and openclaw-prompt-injection).
    const classes = [...new Set(builtins.map((p) => checkPlaybook(YamlSource.read(p.file)).playbook?.class))].sort();
    assert.deepEqual(classes, [...INCIDENT_CLASSES].sort());
  });

  for (const p of listPlaybooks().filter((x) => x.builtin)) {
    it(`${p.name}: validates alone and compiles against an inventory`, () => {
      const alone = checkPlaybook(YamlSource.read(p.file));
      assert.deepEqual(alone.problems, []);
      const input = compilePlaybook(YamlSource.read(p.file), { inventory, params: PLAYBOOK_PARAMS[p.name]!, home: '/var/lib/tourniquet' });
      assert.equal(input.playbook?.name, p.name);
      assert.equal(input.steps.at(-1)!.action, 'writeNote');
      assert.ok(
        input.steps.every((s) => s.effects),
        'every step carries its effects',
      );
    });
  }

  it('secret-exposure rotates before it investigates, and restarts only after capture and approval', () => {
    const input = compilePlaybook(YamlSource.read(listPlaybooks().find((p) => p.name === 'secret-exposure')!.file), {
      inventory,
      params: PLAYBOOK_PARAMS['secret-exposure']!,
    });
    const order = input.steps.map((s) => s.action);
    assert.ok(order.indexOf('rotateKey') < order.indexOf('captureEvidence'));
    assert.ok(order.indexOf('captureEvidence') < order.indexOf('startService'));
    assert.equal(input.steps.find((s) => s.action === 'startService')!.approval?.required, true);
    const rotate = input.steps.find((s) => s.action === 'rotateKey')!;
    assert.deepEqual(rotate.args, { method: 'env-file', envFile: '/srv/agent/.env', envFiles: [], key: 'AGENT_API_KEY', restart: [] });
    assert.deepEqual(rotate.effects?.restarts, [], 'the frozen service restarts in its own step, after capture');
    assert.equal(input.title, 'Secret exposed: agent-api-key');
  });
});

describe('OpenClaw playbook steps', () => {
  const claw = (body: string, head = 'class: prompt-injection') =>
    YamlSource.parse('claw.yaml', `name: claw\n${head}\ndescription: a test\nseverity: S1\nparameters:\n  gateway: { type: openclaw }\n${body}`);
  const clawProblems = (source: YamlSource) => formatProblems(source.file, checkPlaybook(source, { inventory, params: { gateway: 'claw' } }).problems);

  it('compile to the gateway named by the inventory, with the project-local OpenClaw by default', () => {
    const input = compilePlaybook(YamlSource.read(listPlaybooks().find((p) => p.name === 'openclaw-prompt-injection')!.file), {
      inventory,
      params: PLAYBOOK_PARAMS['openclaw-prompt-injection']!,
    });
    const lock = input.steps.find((s) => s.action === 'openclawLockTools')!;
    assert.deepEqual(
      { ...lock.args, node: undefined, openclawEntry: undefined },
      {
        gateway: 'claw',
        stateDir: '/srv/agent/openclaw',
        configPath: '/srv/agent/openclaw/openclaw.json',
        port: 18789,
        tokenFrom: { kind: 'config' },
        node: undefined,
        openclawEntry: undefined,
      },
    );
    assert.match(String(lock.args.node), /\.tools\/openclaw\/bin\/node$/);
    assert.deepEqual(lock.effects?.freezes, ['claw']);
    assert.deepEqual(input.steps.find((s) => s.action === 'openclawQuarantineMemory')!.effects?.changes, ['claw:memory']);
    assert.ok(!JSON.stringify(input).includes('auth'), 'no token, only where it lives');
  });

  it('rule 2: the memory is quarantined only after a capture of the gateway', () => {
    const out = clawProblems(claw(`phases:\n  contain:\n    - { id: q, action: openclawQuarantineMemory, args: { gateway: claw } }\n${NOTE}`));
    assert.match(out, /rule 2 \(evidence before destruction\): step "q" changes "claw:memory" before any evidence capture/);
  });

  it('rule 3: the gateway token rotation counts as the rotation a secret exposure starts with', () => {
    const out = clawProblems(
      claw(
        `phases:\n  freeze:\n    - { id: r, action: openclawRotateToken, args: { gateway: claw } }\n  preserve:\n    - { id: c, action: openclawCaptureEvidence, args: { gateway: claw } }\n${NOTE}`,
        'class: secret-exposure',
      ),
    );
    assert.equal(out, '');
  });

  it('a restore must be followed by a rotation of the token it brings back, and needs the capture first (rules 2 and 4)', () => {
    const capture = `  preserve:\n    - { id: c, action: openclawCaptureEvidence, args: { gateway: claw } }\n`;
    const restore = `  recover:\n    - { id: restore, action: openclawRestoreBackup, args: { gateway: claw } }\n`;
    const rotate = `    - { id: rotate, action: openclawRotateToken, args: { gateway: claw } }\n`;
    const lone = clawProblems(claw(`phases:\n${capture}${restore}${NOTE}`, 'class: destructive-action'));
    assert.match(
      lone,
      /step "restore" \(openclawRestoreBackup\) brings back the credentials of its backup \(the old token among them\): add a step after it that rotates them \(openclawRotateToken for claw\)/,
    );
    assert.equal(clawProblems(claw(`phases:\n${capture}${restore}${rotate}${NOTE}`, 'class: destructive-action')), '');
    const uncaptured = clawProblems(claw(`phases:\n${restore}${rotate}${NOTE}`, 'class: destructive-action'));
    assert.match(uncaptured, /rule 4 \(no restart before capture\): step "restore" restarts "claw"/);
    assert.match(uncaptured, /rule 2 \(evidence before destruction\): step "restore" changes "claw"/);
  });

  it('a restore compiles with the archive, the backups folder and the process service the inventory names', () => {
    const inv = testInventory();
    inv.openclaw.claw = { ...inv.openclaw.claw!, service: 'gateway', backups: '/srv/agent/backups' };
    const source = claw(
      `phases:\n  preserve:\n    - { id: c, action: openclawCaptureEvidence, args: { gateway: claw } }\n  recover:\n    - { id: restore, action: openclawRestoreBackup, args: { gateway: claw } }\n    - { id: rotate, action: openclawRotateToken, args: { gateway: claw } }\n${NOTE}`,
      'class: destructive-action',
    );
    const restore = compilePlaybook(source, { inventory: inv, params: { gateway: 'claw' } }).steps.find((s) => s.id === 'restore')!;
    const args = restore.args as Record<string, unknown>;
    assert.equal(args.backups, '/srv/agent/backups');
    assert.deepEqual(args.service, { service: 'gateway', manager: { kind: 'process', pidfile: '/srv/agent/run/gateway.pid' } });
    assert.deepEqual(restore.effects?.restarts, ['claw']);
  });

  it('an unknown gateway is refused with the names the inventory has', () => {
    const out = clawProblems(claw(`phases:\n  freeze:\n    - { id: l, action: openclawLockTools, args: { gateway: nope } }\n${NOTE}`));
    assert.match(out, /"nope" is not a openclaw in the inventory \(openclaws: claw\)/);
  });
});

describe('ordering rules are refused at load, each named', () => {
  it('rule 1: a freeze step must stop something', () => {
    const out = problems(playbook(`phases:\n  freeze:\n    - { id: look, action: captureEvidence, args: { services: ["{{service}}"] } }\n${NOTE}`));
    assert.match(out, /test\.yaml:\d+: phases\.freeze\.0: rule 1 \(freeze first\): step "look" is in the freeze phase but stops nothing/);
  });

  it('rule 1: phases follow the runbook order', () => {
    const out = problems(
      playbook(
        `phases:\n  verify:\n    - { id: v, action: smokeTest, args: { check: gateway-health } }\n  freeze:\n    - { id: f, action: stopService, args: { service: gateway } }\n${NOTE}`,
      ),
    );
    assert.match(out, /phases\.freeze: rule 1 \(freeze first\): phase freeze comes after verify; write phases in the runbook's order/);
  });

  it('rule 2: nothing changes a target before evidence of it', () => {
    const out = problems(playbook(`phases:\n  contain:\n    - { id: wipe, action: runCommand, args: { command: wipe-cache } }\n${NOTE}`));
    assert.match(out, /rule 2 \(evidence before destruction\): step "wipe" changes "workspace" before any evidence capture or snapshot of it/);
  });

  it('rule 3: a secret exposure rotates before anything investigates', () => {
    const head = 'class: secret-exposure';
    const late = problems(
      playbook(
        `phases:\n  preserve:\n    - { id: look, action: captureEvidence, args: { services: [gateway] } }\n  contain:\n    - { id: rotate, action: rotateKey, args: { credential: agent-api-key } }\n${NOTE}`,
        head,
      ),
    );
    assert.match(late, /rule 3 \(secret exposure starts with rotation\): step "look" \(captureEvidence\) runs before the credential is rotated/);
    const none = problems(playbook(`phases:\n  preserve:\n    - { id: look, action: snapshotDisk, args: { path: workspace } }\n${NOTE}`, head));
    assert.match(none, /rule 3 .*needs a rotateKey step/);
  });

  it('rule 4: no restart before the service is captured', () => {
    const out = problems(
      playbook(
        `phases:\n  freeze:\n    - { id: stop, action: stopService, args: { service: gateway } }\n  recover:\n    - { id: start, action: startService, args: { service: gateway } }\n${NOTE}`,
      ),
    );
    assert.match(out, /phases\.recover\.0: rule 4 \(no restart before capture\): step "start" restarts "gateway" before its status and logs are captured/);
  });

  it('rule 5: a restore needs a snapshot, not just a copy', () => {
    const out = problems(
      playbook(
        `phases:\n  preserve:\n    - { id: copy, action: captureEvidence, args: { paths: [workspace] } }\n  recover:\n    - { id: restore, action: restoreBackup, args: { backup: workspace-backup } }\n${NOTE}`,
      ),
    );
    assert.match(out, /rule 5 \(no restore over evidence\): step "restore" restores "workspace" before the broken state is snapshotted/);
    const fixed = problems(
      playbook(
        `phases:\n  preserve:\n    - { id: snap, action: snapshotDisk, args: { backup: workspace-backup } }\n  recover:\n    - { id: restore, action: restoreBackup, args: { backup: workspace-backup } }\n${NOTE}`,
      ),
    );
    assert.equal(fixed, '');
  });

  it('rule 6: a verify step cannot change anything', () => {
    const out = problems(playbook(`phases:\n  verify:\n    - { id: bounce, action: stopService, args: { service: gateway } }\n${NOTE}`));
    assert.match(out, /rule 6 \(smoke tests are read-only\): step "bounce" is a verify step but stopService changes the system/);
  });

  it('rule 7: the playbook ends by writing the note', () => {
    const out = problems(playbook(`phases:\n  verify:\n    - { id: v, action: smokeTest, args: { check: gateway-health } }\n`));
    assert.match(out, /rule 7 \(no close without a durable control\): the last step must be a writeNote step/);
  });

  it('rule 8: nothing restores over the evidence store', () => {
    const out = problems(
      playbook(
        `phases:\n  preserve:\n    - { id: snap, action: snapshotDisk, args: { backup: workspace-backup } }\n  recover:\n    - { id: restore, action: restoreBackup, args: { backup: workspace-backup } }\n${NOTE}`,
      ),
      { service: 'gateway' },
      '/srv/agent',
    );
    assert.match(
      out,
      /rule 8 \(the engine never deletes evidence\): step "restore" \(restoreBackup\) would change \/srv\/agent\/workspace, inside the evidence store/,
    );
  });
  it('rule 8: nothing moves anything inside the state folder (a quarantine, an unquarantine)', () => {
    const out = problems(
      playbook(
        `phases:\n  preserve:\n    - { id: snap, action: snapshotDisk, args: { path: memory } }\n  contain:\n    - { id: hide, action: quarantine, args: { path: bad-card } }\n  recover:\n    - { id: back, action: unquarantine, args: { path: bad-card } }\n${NOTE}`,
      ),
      { service: 'gateway' },
      '/srv/agent',
    );
    assert.match(
      out,
      /rule 8 \(the engine never deletes evidence\): step "hide" \(quarantine\) would change \/srv\/agent\/workspace\/memory\/card-001\.md, inside the evidence store \/srv\/agent/,
    );
    assert.match(out, /rule 8 \(the engine never deletes evidence\): step "back" \(unquarantine\) would change \/srv\/agent\/workspace\/memory\/card-001\.md/);
    assert.doesNotMatch(out, /step "snap"/, 'a snapshot only reads');
    const elsewhere = problems(
      playbook(`phases:\n  contain:\n    - { id: hide, action: quarantine, args: { path: bad-card } }\n${NOTE}`),
      {},
      '/var/lib/tourniquet',
    );
    assert.doesNotMatch(elsewhere, /rule 8/);
  });
});

describe('playbook validate checks everything in one pass', () => {
  const validate = (source: YamlSource, params?: Record<string, string>) =>
    formatProblems(source.file, checkPlaybook(source, { inventory, home: '/srv/agent', ...(params ? { params } : { symbolic: true }) }).problems);
  const RESTORE = `  recover:\n    - { id: restore, action: restoreBackup, args: { backup: workspace-backup } }\n    - { id: up, action: startService, args: { service: "{{service}}" } }\n`;

  it('without --param: rules 4, 5 and 8 on the literal names and paths', () => {
    const out = validate(playbook(`phases:\n${RESTORE}${NOTE}`));
    assert.match(out, /rule 5 \(no restore over evidence\): step "restore"/);
    assert.match(out, /rule 8 \(the engine never deletes evidence\): step "restore" \(restoreBackup\) would change \/srv\/agent\/workspace/);
    assert.match(out, /rule 4 \(no restart before capture\): step "up" restarts "\{\{service\}\}"/);
  });

  it('a missing field, an unknown name or a missing value does not hide the ordering rules', () => {
    const missing = validate(
      YamlSource.parse('test.yaml', `name: test\nclass: service-outage\nseverity: S2\nparameters:\n  service: { type: service }\nphases:\n${RESTORE}`),
    );
    assert.match(missing, /test\.yaml:1: description: Invalid input/);
    assert.match(missing, /rule 5 \(no restore over evidence\): step "restore"/);
    assert.match(missing, /rule 7 \(no close without a durable control\)/);
    assert.match(missing, /rule 8 \(the engine never deletes evidence\): step "restore"/);
    const badStep = validate(playbook(`phases:\n  contain:\n    - { id: oops, action: launchMissiles }\n${RESTORE}${NOTE}`), { service: 'gateway' });
    assert.match(badStep, /test\.yaml:9: phases\.contain\.0\.action: unknown action/);
    assert.match(badStep, /test\.yaml:11: phases\.recover\.0: rule 5 \(no restore over evidence\): step "restore"/, 'the other steps keep their lines');
    const unknownName = validate(
      playbook(
        `phases:\n  recover:\n    - { id: up, action: startService, args: { service: gatewy } }\n    - { id: restore, action: restoreBackup, args: { backup: workspace-backup } }\n${NOTE}`,
      ),
      { service: 'gateway' },
    );
    assert.match(unknownName, /"gatewy" is not a service in the inventory/);
    assert.match(unknownName, /rule 5 \(no restore over evidence\): step "restore"/);
    const noValue = validate(playbook(`phases:\n${RESTORE}${NOTE}`), {});
    assert.match(noValue, /parameter service has no value: pass --param service=<service name>/);
    assert.match(noValue, /rule 4 \(no restart before capture\): step "up"/);
  });

  it('every ordering-rule message names its rule', () => {
    const out = validate(
      playbook(
        `phases:\n  freeze:\n    - { id: look, action: captureEvidence, args: { services: [gateway] } }\n  verify:\n    - { id: v, action: stopService, args: { service: gateway } }\n  contain:\n    - { id: wipe, action: runCommand, args: { command: wipe-cache } }\n${RESTORE}`,
      ),
    );
    const lines = out.split('\n').filter(Boolean);
    assert.ok(lines.length >= 5, out);
    for (const line of lines) assert.match(line, /: rule [1-8] \(/, line);
  });
});

describe('bad playbooks get clear errors with path and line', () => {
  it('malformed YAML', () => {
    assert.throws(
      () => YamlSource.parse('broken.yaml', 'name: x\nphases: [\n'),
      (e: Problem) => e.kind === 'InvalidInput' && /broken\.yaml:\d+: /.test(e.message),
    );
  });

  it('unknown action', () => {
    const out = problems(playbook(`phases:\n  contain:\n    - { id: x, action: launchMissiles }\n${NOTE}`));
    assert.match(out, /test\.yaml:9: phases\.contain\.0\.action: unknown action; actions are: stopService/);
  });

  it('unknown inventory name, with the names it knows', () => {
    const out = problems(playbook(`phases:\n  freeze:\n    - { id: x, action: stopService, args: { service: gatewy } }\n${NOTE}`));
    assert.match(out, /phases\.freeze\.0\.args\.service: "gatewy" is not a service in the inventory \(services: gateway\)/);
  });

  it('a parameter naming something outside the inventory is refused before anything runs', () => {
    const out = problems(playbook(`phases:\n  freeze:\n    - { id: x, action: stopService, args: { service: "{{service}}" } }\n${NOTE}`), { service: 'sshd' });
    assert.match(out, /"sshd" is not a service in the inventory/);
    const traversal = problems(playbook(`phases:\n  freeze:\n    - { id: x, action: stopService, args: { service: "{{service}}" } }\n${NOTE}`), {
      service: '../etc/passwd',
    });
    assert.match(traversal, /parameter service must name a service from the inventory, got "\.\.\/etc\/passwd"/);
  });

  it('a step cannot carry its own path or pidfile', () => {
    const out = problems(playbook(`phases:\n  freeze:\n    - { id: x, action: stopService, args: { service: gateway, pidfile: /run/sshd.pid } }\n${NOTE}`));
    assert.match(out, /phases\.freeze\.0\.args: Unrecognized key: "pidfile"/);
  });

  it('wrong parameter types', () => {
    const typed = YamlSource.parse(
      'typed.yaml',
      `name: t\nclass: service-outage\ndescription: d\nseverity: S2\nparameters:\n  grace: { type: number }\n  flag: { type: boolean }\n  ticket: { type: string, pattern: "INC-[0-9]+" }\nphases:\n${NOTE}`,
    );
    const out = formatProblems(
      'typed.yaml',
      checkPlaybook(typed, { inventory, params: { grace: 'soon', flag: 'yes', ticket: 'rm -rf /', nope: '1' } }).problems,
    );
    assert.match(out, /parameter grace must be a number, got "soon"/);
    assert.match(out, /parameter flag must be true or false, got "yes"/);
    assert.match(out, /parameter ticket must match \/INC-\[0-9\]\+\/, got "rm -rf \/"/);
    assert.match(out, /unknown parameter "nope"/);
  });

  it('a placeholder of the wrong kind, an unknown one, and a missing value', () => {
    const out = problems(
      playbook(
        `phases:\n  freeze:\n    - { id: a, action: rotateKey, args: { credential: "{{service}}" } }\n    - { id: b, action: stopService, args: { service: "{{other}}" } }\n${NOTE}`,
      ),
    );
    assert.match(out, /phases\.freeze\.0\.args\.credential: parameter service is a service; this argument needs a credential/);
    assert.match(out, /phases\.freeze\.1\.args\.service: unknown parameter \{\{other\}\}/);
    const missing = problems(playbook(`phases:\n  freeze:\n    - { id: a, action: stopService, args: { service: "{{service}}" } }\n${NOTE}`), {});
    assert.match(missing, /parameter service has no value: pass --param service=<service name>/);
  });

  it('duplicate step ids', () => {
    const out = problems(
      playbook(
        `phases:\n  freeze:\n    - { id: a, action: stopService, args: { service: gateway } }\n    - { id: a, action: stopService, args: { service: gateway } }\n${NOTE}`,
      ),
    );
    assert.match(out, /test\.yaml:\d+: phases\.freeze\.1\.id: duplicate step id "a"/);
  });

  it('misspelt keys are errors, not ignored', () => {
    const out = problems(
      playbook(`phases:\n  freeze:\n    - { id: a, action: stopService, aproval: { required: true }, args: { service: gateway } }\n${NOTE}`),
    );
    assert.match(out, /Unrecognized key: "aproval"/);
  });
});

describe('severity, approvers, schema', () => {
  const base = `phases:\n  freeze:\n    - id: stop\n      action: stopService\n      approval: { approvers: [oncall, dave], quorum: 2 }\n      args: { service: gateway }\n${NOTE}`;

  it('accepts Critical, High, Medium, Low as aliases', () => {
    for (const [alias, s] of [
      ['Critical', 'S1'],
      ['high', 'S1'],
      ['Medium', 'S2'],
      ['LOW', 'S3'],
      ['s2', 'S2'],
    ] as const) {
      assert.equal(compilePlaybook(playbook(base), { inventory, severity: alias }).severity, s);
    }
    assert.throws(
      () => compilePlaybook(playbook(base), { inventory, severity: 'urgent' }),
      /unknown severity "urgent": use S1, S2, S3 \(or Critical, High, Medium, Low\)/,
    );
  });

  it('expands approver groups from the inventory', () => {
    const step = compilePlaybook(playbook(base), { inventory }).steps[0]!;
    assert.deepEqual(step.approval?.approvers, ['alice', 'bob', 'carol', 'dave']);
    assert.equal(step.approval?.quorum, 2);
  });

  it('the example inventory is valid, and every built-in playbook validates against it', () => {
    const example = loadInventory(EXAMPLE_INVENTORY);
    assert.equal(example.services['digest-timer']!.manager.kind, 'systemd');
    assert.equal(example.credentials['github-token']!.method, 'command');
    const out = execFileSync(
      process.execPath,
      [
        'bin/tourniquet.js',
        'playbook',
        'validate',
        '-i',
        EXAMPLE_INVENTORY,
        ...listPlaybooks()
          .filter((p) => p.builtin)
          .map((p) => p.file),
      ],
      { encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'silent' } },
    );
    assert.equal(
      out
        .trim()
        .split('\n')
        .filter((l) => l.includes(': ok (names checked against')).length,
      listPlaybooks().filter((p) => p.builtin).length,
      out,
    );
  });

  it('ships JSON Schemas that match the zod schemas (run `npm run schemas` after changing them)', () => {
    for (const [name, text] of Object.entries(jsonSchemas())) assert.equal(readFileSync(join(SCHEMAS_DIR, name), 'utf8'), text, name);
  });
});
