import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPlaybook, compilePlaybook, formatProblems, YamlSource } from '../../compiler';
import { batches } from '../../contract';
import { testInventory } from '../helpers/playbooks';

const inventory = testInventory();
// Two credentials, so a fan-out has more than one item.
const inventory2 = testInventory();
inventory2.credentials['backup-key'] = { envFile: '/srv/agent/.env', envFiles: [], key: 'BACKUP_KEY', restart: [] } as never;

const NOTE = `  learn:\n    - { id: note, action: writeNote }\n`;

function playbook(body: string, head = 'class: service-outage', params = '  service: { type: service }\n') {
  return YamlSource.parse('test.yaml', `name: test\n${head}\ndescription: a test\nseverity: S2\nparameters:\n${params}${body}`);
}

function problems(source: YamlSource, params: Record<string, string> = { service: 'gateway' }, home?: string): string {
  return formatProblems(source.file, checkPlaybook(source, { inventory: inventory2, params, ...(home ? { home } : {}) }).problems);
}

const CREDS = '  service: { type: service }\n  credentials: { type: "credential[]" }\n';

describe('parallel groups and fan-out compile', () => {
  it('a group becomes its members, each carrying the group, and they run as one batch', () => {
    const input = compilePlaybook(
      playbook(
        `phases:\n  freeze:\n    - id: start-together\n      parallel:\n        - { id: announce, action: notify, args: { text: "frozen {{service}}" } }\n        - { id: stop, action: stopService, args: { service: "{{service}}" } }\n${NOTE}`,
      ),
      { inventory, params: { service: 'gateway' } },
    );
    assert.deepEqual(
      input.steps.map((s) => [s.id, s.group?.id, s.group?.join]),
      [
        ['announce', 'start-together', 'all'],
        ['stop', 'start-together', 'all'],
        ['note', undefined, undefined],
      ],
    );
    assert.deepEqual(
      batches(input.steps).map((b) => b.map((s) => s.id)),
      [['announce', 'stop'], ['note']],
    );
  });

  it('forEach over a list parameter: one step per item, id[item], with its limits', () => {
    const input = compilePlaybook(
      playbook(
        `phases:\n  freeze:\n    - id: rotate\n      action: rotateKey\n      forEach: "{{credentials}}"\n      maxConcurrency: 1\n      errorThreshold: 2\n      args: { credential: "{{item}}" }\n${NOTE}`,
        'class: secret-exposure',
        CREDS,
      ),
      { inventory: inventory2, params: { credentials: 'agent-api-key, backup-key' } },
    );
    const items = input.steps.filter((s) => s.fanOut);
    assert.deepEqual(
      items.map((s) => [s.id, s.fanOut?.item, s.fanOut?.maxConcurrency, s.fanOut?.errorThreshold]),
      [
        ['rotate[agent-api-key]', 'agent-api-key', 1, 2],
        ['rotate[backup-key]', 'backup-key', 1, 2],
      ],
    );
    assert.deepEqual(
      items.map((s) => (s.action === 'rotateKey' && s.args.method !== 'http-revoke' ? s.args.key : undefined)),
      ['AGENT_API_KEY', 'BACKUP_KEY'],
    );
    assert.deepEqual(
      input.steps.flatMap((s) => s.effects?.rotates ?? []),
      ['agent-api-key', 'backup-key'],
    );
  });

  it('forEach every entry of an inventory kind', () => {
    const input = compilePlaybook(
      playbook(
        `phases:\n  freeze:\n    - { id: rotate, action: rotateKey, forEach: { every: credential }, args: { credential: "{{item}}" } }\n${NOTE}`,
        'class: secret-exposure',
      ),
      { inventory: inventory2, params: {} },
    );
    assert.deepEqual(
      input.steps.map((s) => s.id),
      ['rotate[agent-api-key]', 'rotate[backup-key]', 'note'],
    );
  });

  it('a list parameter from the command line, a route (a list), and validation without values', () => {
    const src = () =>
      playbook(
        `title: "rotating {{credentials}}"\nphases:\n  freeze:\n    - { id: rotate, action: rotateKey, forEach: "{{credentials}}", args: { credential: "{{item}}" } }\n${NOTE}`,
        'class: secret-exposure',
        CREDS,
      );
    const fromRoute = compilePlaybook(src(), { inventory: inventory2, params: { credentials: ['backup-key'] } });
    assert.deepEqual(
      fromRoute.steps.map((s) => s.id),
      ['rotate[backup-key]', 'note'],
    );
    assert.equal(
      compilePlaybook(src(), { inventory: inventory2, params: { credentials: 'agent-api-key,backup-key' } }).title,
      'rotating agent-api-key, backup-key',
    );
    assert.deepEqual(checkPlaybook(src()).problems, [], 'validates alone, the items symbolic');
  });

  it('refuses forEach over something that is not a list, a list used as one name, and unknown items', () => {
    const scalar = problems(
      playbook(`phases:\n  freeze:\n    - { id: stop, action: stopService, forEach: "{{service}}", args: { service: "{{item}}" } }\n${NOTE}`),
    );
    assert.match(scalar, /phases\.freeze\.0\.forEach: forEach needs a list of inventory names \(such as credential\[\]\); parameter service is a service/);
    const asOne = problems(
      playbook(`phases:\n  freeze:\n    - { id: r, action: rotateKey, args: { credential: "{{credentials}}" } }\n${NOTE}`, 'class: secret-exposure', CREDS),
      { credentials: 'agent-api-key' },
    );
    assert.match(asOne, /parameter credentials is a credential\[\]; this argument needs a credential: run the step once per item with forEach/);
    const unknown = problems(
      playbook(
        `phases:\n  freeze:\n    - { id: r, action: rotateKey, forEach: "{{credentials}}", args: { credential: "{{item}}" } }\n${NOTE}`,
        'class: secret-exposure',
        CREDS,
      ),
      { credentials: 'agent-api-key,nope' },
    );
    assert.match(unknown, /"nope" is not a credential in the inventory/);
    const limits = problems(playbook(`phases:\n  freeze:\n    - { id: s, action: stopService, maxConcurrency: 2, args: { service: gateway } }\n${NOTE}`));
    assert.match(limits, /maxConcurrency, errorThreshold and gate go with forEach/);
  });

  it('a group approval: once on the first member, or on each; a fan-out approval once or per item', () => {
    const group = (gate: string) =>
      compilePlaybook(
        playbook(
          `phases:\n  freeze:\n    - parallel:\n        - { id: a, action: stopService, args: { service: gateway } }\n        - { id: b, action: lockNetwork, args: { network: agent-egress } }\n      approval: { quorum: 1 }\n      gate: ${gate}\n${NOTE}`,
        ),
        { inventory, params: { service: 'gateway' } },
      ).steps.map((s) => [s.id, s.approval?.required ?? false]);
    assert.deepEqual(group('once'), [
      ['a', true],
      ['b', false],
      ['note', false],
    ]);
    assert.deepEqual(group('each'), [
      ['a', true],
      ['b', true],
      ['note', false],
    ]);
    const fan = (gate: string) =>
      compilePlaybook(
        playbook(
          `phases:\n  freeze:\n    - { id: r, action: rotateKey, forEach: "{{credentials}}", gate: ${gate}, approval: { quorum: 1 }, args: { credential: "{{item}}" } }\n${NOTE}`,
          'class: secret-exposure',
          CREDS,
        ),
        { inventory: inventory2, params: { credentials: 'agent-api-key,backup-key' } },
      ).steps.map((s) => s.approval?.required ?? false);
    assert.deepEqual(fan('once'), [true, false, false]);
    assert.deepEqual(fan('each'), [true, true, false]);
  });
});

describe('the ordering rules hold across a group: each member relies only on what finished before it', () => {
  const group = (phase: string, members: string[]) => `  ${phase}:\n    - parallel:\n${members.map((m) => `        - ${m}\n`).join('')}`;

  it('rule 1: a group may not mix a freeze with a destructive step', () => {
    const out = problems(
      playbook(
        `phases:\n  preserve:\n    - { id: cap, action: captureEvidence, args: { paths: [workspace] } }\n${group('contain', [
          '{ id: stop, action: stopService, args: { service: gateway } }',
          '{ id: wipe, action: runCommand, args: { command: wipe-cache } }',
        ])}${NOTE}`,
      ),
    );
    assert.match(out, /rule 1 \(freeze first\): step "wipe" runs beside the freeze step "stop"/);
  });

  it('rule 1: a freeze beside its announcement is what the rules want', () => {
    const out = problems(
      playbook(
        `phases:\n${group('freeze', ['{ id: announce, action: notify, args: { text: hi } }', '{ id: stop, action: stopService, args: { service: gateway } }'])}${NOTE}`,
      ),
    );
    assert.equal(out, '');
  });

  it('rule 2: no change beside the capture it must follow', () => {
    const out = problems(
      playbook(
        `phases:\n${group('contain', [
          '{ id: cap, action: captureEvidence, args: { paths: [workspace] } }',
          '{ id: wipe, action: runCommand, args: { command: wipe-cache } }',
        ])}${NOTE}`,
      ),
    );
    assert.match(out, /rule 2 \(evidence before destruction\): step "wipe" changes "workspace" beside "cap", which captures it/);
    assert.match(out, /rule 2 \(evidence before destruction\): step "wipe" changes "workspace" before any evidence capture/);
  });

  it('rule 3: an investigation beside the rotation has not waited for it', () => {
    const out = problems(
      playbook(
        `phases:\n${group('preserve', [
          '{ id: rotate, action: rotateKey, args: { credential: agent-api-key } }',
          '{ id: look, action: captureEvidence, args: { services: [gateway] } }',
        ])}${NOTE}`,
        'class: secret-exposure',
      ),
    );
    assert.match(out, /rule 3 \(secret exposure starts with rotation\): step "look" \(captureEvidence\) runs before the credential is rotated/);
    const fanned = problems(
      playbook(
        `phases:\n  freeze:\n    - { id: rotate, action: rotateKey, forEach: "{{credentials}}", args: { credential: "{{item}}" } }\n  preserve:\n    - { id: look, action: captureEvidence, args: { services: [gateway] } }\n${NOTE}`,
        'class: secret-exposure',
        CREDS,
      ),
      { credentials: 'agent-api-key,backup-key' },
    );
    assert.equal(fanned, '', 'after a fan-out of rotations, the investigation may start');
  });

  it('rule 4: no restart beside the capture of the service', () => {
    const out = problems(
      playbook(
        `phases:\n${group('recover', [
          '{ id: cap, action: captureEvidence, args: { services: [gateway] } }',
          '{ id: start, action: startService, args: { service: gateway } }',
        ])}${NOTE}`,
      ),
    );
    assert.match(out, /rule 4 \(no restart before capture\): step "start" restarts "gateway" beside "cap", which captures it/);
  });

  it('rule 5: no restore beside the snapshot it needs', () => {
    const out = problems(
      playbook(
        `phases:\n${group('recover', [
          '{ id: snap, action: snapshotDisk, args: { backup: workspace-backup } }',
          '{ id: restore, action: restoreBackup, args: { backup: workspace-backup } }',
        ])}${NOTE}`,
      ),
    );
    assert.match(out, /rule 5 \(no restore over evidence\): step "restore" restores "workspace" beside "snap"/);
    assert.match(out, /rule 5 \(no restore over evidence\): step "restore" restores "workspace" before the broken state is snapshotted/);
  });

  it('rule 6: a verify group only looks', () => {
    const out = problems(
      playbook(
        `phases:\n${group('verify', [
          '{ id: look, action: smokeTest, args: { check: gateway-health } }',
          '{ id: bounce, action: stopService, args: { service: gateway } }',
        ])}${NOTE}`,
      ),
    );
    assert.match(out, /rule 6 \(smoke tests are read-only\): step "bounce" is a verify step but stopService changes the system/);
  });

  it('rule 7: the note comes last and alone', () => {
    const out = problems(
      playbook(`phases:\n${group('learn', ['{ id: look, action: smokeTest, args: { check: gateway-health } }', '{ id: note, action: writeNote }'])}`),
    );
    assert.match(out, /rule 7 \(no close without a durable control\): step "note" writes the note beside other steps/);
  });

  it('rule 8: a group member may not restore over the evidence store', () => {
    const out = problems(
      playbook(
        `phases:\n  preserve:\n    - { id: snap, action: snapshotDisk, args: { backup: workspace-backup } }\n${group('recover', [
          '{ id: restore, action: restoreBackup, args: { backup: workspace-backup } }',
          '{ id: look, action: smokeTest, args: { check: gateway-health } }',
        ])}${NOTE}`,
      ),
      { service: 'gateway' },
      '/srv/agent',
    );
    assert.match(
      out,
      /rule 8 \(the engine never deletes evidence\): step "restore" \(restoreBackup\) would change \/srv\/agent\/workspace, inside the evidence store/,
    );
  });
});
