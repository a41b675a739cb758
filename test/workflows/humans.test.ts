/**
 * The human side on a real Temporal server: the `decide` update's refusals, the requester
 * rule, escalation, pause and resume, status updates, cancel with undo on the sandbox, the
 * incident note without a canary secret, closure, and the CLI's watch / report / close.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { execa } from 'execa';
import { sha256 } from '../../common/hash';
import { isAlive, readPidfile } from '../../activities/process';
import { readEnvValue, replaceEnvValue } from '../../activities/rotate';
import { compilePlaybook, findPlaybook, YamlSource, type Inventory } from '../../compiler';
import type { Problem } from '../../common/errors';
import { approve, cancelIncident, deny, getProgress, pauseIncident, recordControl, resumeIncident } from '../../client/incidents';
import { closeIncident, incidentReport } from '../../client/report';
import { SANDBOX_PARAMS, type Sandbox } from '../../demo/sandbox';
import type { IncidentInputDraft, IncidentProgress } from '../../contract';
import { tempDir } from '../helpers/activity';
import { startSandboxWorld } from '../helpers/world';
import { waitFor, type TestServer } from '../helpers/temporal';
import { namesBelieved, startDraft } from '../helpers/start';
import { gated } from '../helpers/incidents';

let env: TestServer;
let sb: Sandbox;
let inventory: Inventory;
const home = tempDir('tourniquet-humans-home-');
const taskQueue = `humans-${randomUUID()}`;
const root = new URL('../..', import.meta.url).pathname;
/** Where the CLI is told the Web UI is: printed links must use it. */
const UI_URL = 'http://ui.example.test:18233';

let stop: () => Promise<void>;
before(async () => void ({ env, sb, inventory, stop } = await startSandboxWorld({ home, taskQueue })));
after(() => stop());

const start = (draft: IncidentInputDraft) => startDraft(env.client, draft, { taskQueue });
const until = (id: string, what: string, check: (p: IncidentProgress) => boolean, timeoutMs?: number) =>
  waitFor(
    what,
    async () => {
      const p = await getProgress(env.client, id);
      return check(p) ? p : undefined;
    },
    timeoutMs,
  );
const refused = (kind: Problem['kind'], pattern: RegExp) => (e: Problem) => {
  assert.equal(e.kind, kind, e.message);
  assert.match(e.message, pattern);
  return true;
};

/** Relative path → content hash and mode of every file under a folder. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full, `${rel}${entry.name}/`);
      else out[`${rel}${entry.name}`] = `${(statSync(full).mode & 0o777).toString(8)} ${sha256(readFileSync(full))}`;
    }
  };
  walk(dir, '');
  return out;
}

describe('approvals through the decide update', () => {
  it('refuses an unknown step, a step not waiting, a duplicate and an unauthorized approver, with the reason', async () => {
    const { id, handle } = await start(gated({ approvers: ['alice', 'bob', 'carol'], quorum: 2 }));
    await until(id, 'the gate', (p) => p.state === 'awaiting-approval');
    await assert.rejects(approve(env.client, id, { step: 'nope', by: 'alice' }), refused('UnknownStep', /no step "nope" \(steps: first, gated, last\)/));
    await assert.rejects(
      approve(env.client, id, { step: 'last', by: 'alice' }),
      refused('UnknownStep', /step "last" is not waiting for approval \(it is pending\); waiting: gated/),
    );
    await assert.rejects(
      approve(env.client, id, { step: 'gated', by: 'mallory' }),
      refused('Refused', /mallory may not decide step "gated" \(allowed: alice, bob, carol\)/),
    );
    await assert.rejects(deny(env.client, id, { step: 'gated', by: 'mallory', reason: 'no' }), refused('Refused', /mallory may not decide/));
    const first = await approve(env.client, id, { step: 'gated', by: 'alice', comment: 'checked the queue' });
    assert.deepEqual(first, { step: 'gated', decision: 'approve', by: 'alice', approvedBy: ['alice'], needed: 1, decided: false });
    await assert.rejects(
      approve(env.client, id, { step: 'gated', by: 'alice' }),
      refused('Refused', /alice already approved step "gated"; it needs 2 different people/),
    );
    const second = await approve(env.client, id, { step: 'gated', by: 'bob' });
    assert.equal(second.decided, true);
    const result = await handle.result();
    assert.equal(result.state, 'resolved');
    const decisions = result.steps[1]!.decisions!;
    assert.deepEqual(
      decisions.map((d) => [d.kind, d.by, d.why]),
      [
        ['approve', 'alice', 'checked the queue'],
        ['approve', 'bob', undefined],
      ],
    );
    assert.ok(
      decisions.every((d) => /^\d{4}-\d\d-\d\dT/.test(d.at)),
      'every decision says when',
    );
    // Refused updates change nothing and leave no trace: no ignored signal in the timeline.
    assert.equal(result.timeline.filter((e) => e.kind === 'signal-ignored').length, 0);
  });

  it('the requester of an S1 incident may not approve unless the step allows it', async () => {
    const draft = gated({ identity: 'asserted' }, { severity: 'S1', requestedBy: 'ann' });
    const { id, handle } = await start(draft);
    await until(id, 'the gate', (p) => p.state === 'awaiting-approval');
    const waiting = await getProgress(env.client, id);
    assert.deepEqual(waiting.pendingApprovals[0]!.excluded, ['ann']);
    await assert.rejects(
      approve(env.client, id, { step: 'gated', by: 'ann' }),
      refused('Refused', /ann started this incident and may not approve step "gated" of an S1 incident/),
    );
    await approve(env.client, id, { step: 'gated', by: 'ben' });
    assert.equal((await handle.result()).state, 'resolved');

    const allowed = await start(gated({ allowRequester: true, identity: 'asserted' }, { severity: 'S1', requestedBy: 'ann' }));
    await until(allowed.id, 'the gate', (p) => p.state === 'awaiting-approval');
    await approve(env.client, allowed.id, { step: 'gated', by: 'ann' });
    assert.equal((await allowed.handle.result()).state, 'resolved');
  });

  it('escalates to the next group on timeout, announces it, and waits again; aborts after the last group', async () => {
    const escalating = { approvers: ['alice'], timeout: '1s', onTimeout: 'escalate', escalateTo: [{ group: 'leads', approvers: ['lee'] }] };
    const { id, handle } = await start(gated(escalating));
    await until(id, 'the gate', (p) => p.state === 'awaiting-approval');
    await assert.rejects(approve(env.client, id, { step: 'gated', by: 'lee' }), refused('Refused', /lee may not decide/));
    const escalated = await until(id, 'the escalation', (p) => p.timeline.some((e) => e.kind === 'escalated'));
    assert.deepEqual(escalated.pendingApprovals[0]!.approvers, ['alice', 'lee']);
    assert.deepEqual(escalated.pendingApprovals[0]!.escalatedTo, ['leads']);
    assert.match(escalated.timeline.find((e) => e.kind === 'escalated')!.message, /escalated to leads \(lee\); 1 approval\(s\) still needed/);
    await approve(env.client, id, { step: 'gated', by: 'lee' });
    assert.equal((await handle.result()).state, 'resolved');

    const nobody = await start(gated(escalating));
    await assert.rejects(nobody.handle.result());
    const p = await getProgress(env.client, nobody.id);
    assert.equal(p.state, 'aborted');
    assert.equal(p.timeline.filter((e) => e.kind === 'escalated').length, 1);
    assert.match(p.timeline.at(-1)!.message, /had no decision within 1s and after escalating to leads/);
  });
});

describe('operator control', () => {
  it('pause holds the incident before the next step; resume lets it go on', async () => {
    const { id, handle } = await start(gated({}));
    await until(id, 'the gate', (p) => p.state === 'awaiting-approval');
    await pauseIncident(env.client, id, { by: 'ann', reason: 'checking the queue first' });
    await assert.rejects(pauseIncident(env.client, id, { by: 'ann' }), refused('UnknownStep', /already paused \(by ann/));
    // The CLI tells the approver the truth: the approved step waits for the resume.
    const approved = await execa(process.execPath, [join(root, 'bin/tourniquet.js'), 'approve', id, 'gated', '--by', 'bob'], {
      cwd: root,
      reject: false,
      env: { TEMPORAL_ADDRESS: env.address, LOG_LEVEL: 'silent' },
    });
    assert.equal(approved.exitCode, 0, approved.stderr);
    assert.equal(
      approved.stdout.trim(),
      `approved gated of ${id} as bob: the step goes on once the incident is resumed (paused by ann: checking the queue first; \`tourniquet resume ${id} --by <name>\`)`,
    );
    const held = await until(id, 'the hold', (p) => p.state === 'paused');
    await new Promise((r) => setTimeout(r, 1_500));
    const still = await getProgress(env.client, id);
    assert.equal(still.state, 'paused');
    assert.deepEqual(still.paused && [still.paused.by, still.paused.reason], ['ann', 'checking the queue first']);
    assert.ok(!still.timeline.some((e) => e.kind === 'step-started' && e.step === 'gated'), 'no new step started while paused');
    assert.equal(held.steps[2]!.status, 'pending');
    // Approved and held by the pause: the step no longer waits for people, and says who approved.
    assert.deepEqual([held.steps[1]!.status, held.steps[1]!.approvedBy], ['pending', ['bob']]);
    assert.deepEqual(held.pendingApprovals, []);
    await assert.rejects(
      approve(env.client, id, { step: 'gated', by: 'carol' }),
      refused('UnknownStep', /step "gated" was already approved by bob; it starts once the incident is resumed \(paused by ann\)/),
    );
    await resumeIncident(env.client, id, { by: 'ann', comment: 'queue is fine' });
    const result = await handle.result();
    assert.equal(result.state, 'resolved');
    const kinds = result.timeline.map((e) => e.kind);
    assert.ok(kinds.indexOf('paused') < kinds.indexOf('resumed'));
    assert.ok(kinds.indexOf('resumed') < result.timeline.findIndex((e) => e.kind === 'step-started' && e.step === 'gated'));
    await assert.rejects(resumeIncident(env.client, id, { by: 'ann' }), refused('UnknownStep', /has ended \(resolved\)/));
  });

  it('posts status updates at the configured cadence while open', async () => {
    const { id, handle } = await start(gated({}, { statusEvery: '1s', severity: 'S3' }));
    const p = await until(id, 'two status updates', (q) => q.timeline.filter((e) => e.kind === 'status-update').length >= 2);
    assert.match(
      p.timeline.find((e) => e.kind === 'status-update')!.message,
      /^status: S3 runaway-automation is awaiting-approval in phase contain; 1\/3 steps done; waiting for approval of gated \(1 more\)/,
    );
    await approve(env.client, id, { step: 'gated', by: 'bob' });
    const result = await handle.result();
    assert.ok((result.statusUpdates ?? 0) >= 2);
  });

  it('cancel stops the incident and undoes its changes newest first: the gateway runs again, the restored tree is back as it was', async () => {
    // The damage the incident is about: the workspace as the agent left it.
    writeFileSync(join(sb.workspace, 'notes.md'), '# Agent notes\n(overwritten by the agent)\n');
    writeFileSync(join(sb.workspace, 'damage.txt'), 'the agent wrote this\n');
    const damaged = tree(sb.workspace);
    const input = compilePlaybook(YamlSource.read(findPlaybook('destructive-action')), { inventory, params: SANDBOX_PARAMS['destructive-action']!, home });
    assert.equal(input.steps.find((s) => s.id === 'restore-backup')!.approval!.quorum, 2, 'two-person rule on an S1 restore');
    const { id, handle } = await start(namesBelieved(input));
    await until(id, 'the restore gate', (p) => p.pendingApprovals[0]?.step === 'restore-backup');
    await approve(env.client, id, { step: 'restore-backup', by: 'alice' });
    await approve(env.client, id, { step: 'restore-backup', by: 'bob' });
    await until(id, 'the restart gate', (p) => p.pendingApprovals[0]?.step === 'restart-actor');
    assert.equal(existsSync(join(sb.workspace, 'damage.txt')), false, 'the backup was restored');
    assert.equal(isAlive(readPidfile(sb.pidfile) ?? -1), false, 'the gateway is stopped');

    await cancelIncident(env.client, id);
    await assert.rejects(handle.result(), (e: unknown) => e instanceof WorkflowFailedError && e.cause instanceof CancelledFailure);
    const p = await getProgress(env.client, id);
    assert.equal(p.state, 'cancelled');
    assert.deepEqual(
      p.undo!.map((u) => [u.step, u.action, u.status]),
      [
        ['restore-backup', 'restoreBackup', 'succeeded'],
        ['freeze-actor', 'startService', 'succeeded'],
      ],
    );
    assert.match(p.timeline.at(-1)!.message, /cancelled; 2 change\(s\) undone, 0 undo\(s\) failed, 0 cannot be undone/);
    const pid = readPidfile(sb.pidfile)!;
    assert.ok(isAlive(pid), 'the gateway runs again');
    await waitFor('the gateway to answer', async () => ((await fetch(sb.healthUrl).catch(() => undefined))?.status === 200 ? true : undefined), 10_000);
    assert.deepEqual(tree(sb.workspace), damaged, 'the tree the restore replaced is back, file for file');
    rmSync(join(sb.workspace, 'damage.txt'));
  });
});

describe('the incident note and closure', () => {
  it('writes the note without the canary secret; refuses to close before a control; closes after', async () => {
    const canary = `sk-live-${randomBytes(24).toString('hex')}`;
    writeFileSync(sb.envFile, replaceEnvValue(readFileSync(sb.envFile, 'utf8'), 'AGENT_API_KEY', canary), { mode: 0o600 });
    const input = compilePlaybook(YamlSource.read(findPlaybook('secret-exposure')), {
      inventory,
      params: SANDBOX_PARAMS['secret-exposure']!,
      home,
      requestedBy: 'ann',
    });
    const { id, handle } = await start(namesBelieved(input));
    await until(id, 'the restart gate', (p) => p.pendingApprovals[0]?.step === 'restart-service');
    await assert.rejects(approve(env.client, id, { step: 'restart-service', by: 'ann' }), refused('Refused', /ann started this incident/));
    // Someone pastes the old key into a comment: the note must still not carry it.
    await approve(env.client, id, { step: 'restart-service', by: 'bob', comment: `old key was ${canary}, now dead` });
    await until(id, 'the control gate', (p) => p.state === 'awaiting-control');
    await assert.rejects(
      closeIncident(env.client, id),
      refused(
        'Refused',
        /cannot close yet:[\s\S]*no durable control is recorded \(rule 7\)[\s\S]*the incident note is not written yet \(step "incident-note" is pending; it runs once a control is recorded\)/,
      ),
    );
    await recordControl(env.client, id, { kind: 'scrub-rule', note: 'secret scanner in pre-commit', by: 'carol' });
    const result = await handle.result();
    assert.equal(result.state, 'resolved');
    const closed = await closeIncident(env.client, id);
    assert.equal(closed.closed, true);
    assert.deepEqual(closed.controls, ['scrub-rule: secret scanner in pre-commit (by carol)']);

    const newKey = readEnvValue(readFileSync(sb.envFile, 'utf8'), 'AGENT_API_KEY')!;
    assert.notEqual(newKey, canary, 'a real rotation happened');
    const { markdown } = await incidentReport(env.client, id);
    const written = readFileSync(closed.note!, 'utf8');
    for (const text of [markdown, written]) {
      assert.ok(!text.includes(canary), 'the canary is not in the note');
      assert.ok(!text.includes(newKey), 'the new key is not in the note');
      assert.match(text, /old key was \[redacted sk-api-key sha256:[0-9a-f]{16}\], now dead/);
    }
    for (const section of [
      '## What happened',
      '## When',
      '## Actors and targets',
      '## Frozen, rotated, restored, removed',
      '## Decisions',
      '## Durable controls',
      '## Verification',
      '## Evidence',
      '## Timeline',
    ]) {
      assert.ok(markdown.includes(section), section);
    }
    // The report is written after the end: resolved, at the end time, stamped when it was written.
    assert.match(markdown, new RegExp(`Outcome: resolved at ${result.endedAt}: all steps done`));
    assert.match(markdown, new RegExp(`- stopped: ${result.endedAt}\n`));
    const stamped = /- note written: (\S+)/.exec(markdown)?.[1];
    assert.ok(stamped && Date.parse(stamped) >= Date.parse(result.endedAt!), `the report is stamped when written (${stamped}), after the end`);
    // The note the last step wrote: the incident resolves with it, at the time it was written.
    const stepNoteAt = /- note written: (\S+)/.exec(written)?.[1];
    assert.match(written, new RegExp(`Outcome: resolved at ${stepNoteAt}: every step done; writing this note is the last one`));
    assert.match(written, new RegExp(`- stopped: ${stepNoteAt} \\(this note is its last step\\)`));
    for (const text of [markdown, written]) assert.ok(!/rule-violation/.test(text), 'the wait for a control is not logged as a violation');
    assert.match(markdown, /- started by: ann/);
    assert.match(markdown, /- people who acted: .*bob.*carol/);
    assert.match(markdown, /rotate-credential\[agent-api-key\]: rotated AGENT_API_KEY in .* \(sha256:[0-9a-f]{16} → sha256:[0-9a-f]{16}\)/);
    assert.match(markdown, /restart-service: approved by bob at /);
    assert.match(markdown, /scrub-rule \(added a scrub rule or publish check\): secret scanner in pre-commit \(by carol/);
    assert.match(markdown, /verify-service: GET .* → 200/);
    assert.match(markdown, /- manifest: manifest\.json, sha256 [0-9a-f]{64}, \d+ file\(s\)/);
    assert.match(markdown, /\| .*gateway\.log \| [0-9a-f]{64} \| \d+ \|/);
    assert.match(
      markdown,
      /## Workflow history[\s\S]*update decide \(approve, step restart-service\) by bob accepted[\s\S]*signal control \(scrub-rule\) by carol[\s\S]*workflow completed/,
    );
  });
});

describe('the CLI against the server', () => {
  const cli = (args: string[]) =>
    execa(process.execPath, [join(root, 'bin/tourniquet.js'), ...args], {
      cwd: root,
      reject: false,
      env: { TEMPORAL_ADDRESS: env.address, TOURNIQUET_TASK_QUEUE: taskQueue, LOG_LEVEL: 'silent', TOURNIQUET_UI_URL: UI_URL },
    });
  const draftFile = (draft: IncidentInputDraft) => {
    const file = join(tempDir('tourniquet-draft-'), 'incident.json');
    writeFileSync(file, JSON.stringify(draft));
    return file;
  };

  it('start --wait prints the id and the Web UI link at once, then follows the incident to its end', async () => {
    const title = `wait-${randomUUID()}`;
    const starting = cli(['start', '-f', draftFile(gated({}, { title })), '--wait']);
    // The incident waits at its gate until approved, so the first lines come before its end.
    const id = await new Promise<string>((resolve, reject) => {
      let seen = '';
      starting.stdout!.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        const found = /^incident (\S+) started\nWeb UI: (\S+)\n/.exec(seen);
        if (found) resolve(found[1]!);
      });
      void starting.then((r) => reject(new Error(`start ended before printing the id: ${r.stdout} ${r.stderr}`)));
    });
    await until(id, 'the gate', (p) => p.state === 'awaiting-approval');
    const listed = await cli(['list', '--open']);
    assert.equal(listed.exitCode, 0, listed.stderr);
    assert.match(listed.stdout, /^id +state +severity +phase +started \(UTC\) +title$/m);
    assert.match(listed.stdout, new RegExp(`^${id} +awaiting-approval +S2 +contain +\\S+ +${title}$`, 'm'));
    await approve(env.client, id, { step: 'gated', by: 'bob' });
    const done = await starting;
    assert.equal(done.exitCode, 0, done.stderr);
    const lines = done.stdout.trim().split('\n');
    assert.equal(lines[1], `Web UI: ${UI_URL}/namespaces/default/workflows/${id}`);
    assert.ok(lines.some((l) => /approved +\[gated\] \(bob\)/.test(l)));
    assert.equal(lines.at(-1), `${id} ended: resolved`);
    const rows = JSON.parse((await cli(['list', '--json'])).stdout) as { id: string; state: string; title: string; mode: string; temporalStatus: string }[];
    assert.deepEqual(
      rows.filter((r) => r.id === id).map((r) => [r.state, r.title, r.mode, r.temporalStatus]),
      [['resolved', title, 'live', 'COMPLETED']],
    );
  });

  it('a drill says so in start, status, watch, list and its note', async () => {
    const title = `drill-${randomUUID()}`;
    const drilled = await cli(['start', '-f', draftFile(gated({}, { title })), '--dry-run']);
    assert.equal(drilled.exitCode, 0, drilled.stderr);
    const id = /^DRILL incident (\S+) started: nothing changes$/m.exec(drilled.stdout)?.[1];
    assert.ok(id, drilled.stdout);
    assert.match(drilled.stdout, /^DRILL of incident \(inc-\S+\): nothing was changed$/m);
    const status = await cli(['status', id]);
    assert.match(status.stdout.split('\n')[0]!, /^inc-\S+ {2}DRILL \(nothing changes\) {2}S2 runaway-automation {2}state: resolved/);
    assert.match(status.stdout, new RegExp(`^Web UI: ${UI_URL}/namespaces/default/workflows/${id}$`, 'm'));
    const watched = await cli(['watch', id]);
    assert.match(watched.stdout, /incident-started +\(\S+\) DRILL S2 runaway-automation/);
    assert.equal(watched.stdout.trim().split('\n').at(-1), `${id} (drill) ended: resolved`);
    const listed = await cli(['list']);
    assert.match(listed.stdout, new RegExp(`^${id} +resolved .* DRILL ${title}$`, 'm'));
    const note = await cli(['report', id]);
    assert.match(note.stdout, new RegExp(`^# Incident ${id} \\(drill\\)$`, 'm'));
  });

  it('watch prints one line per event when not on a terminal and exits 0 when resolved; close says what is missing', async () => {
    const { id } = await start(gated({}));
    const watching = cli(['watch', id, '--interval', '200']);
    await until(id, 'the gate', (p) => p.state === 'awaiting-approval');
    const refusedClose = await cli(['close', id]);
    assert.equal(refusedClose.exitCode, 9, refusedClose.stderr);
    assert.match(
      refusedClose.stderr,
      /cannot close yet:[\s\S]*no durable control[\s\S]*no writeNote step[\s\S]*still awaiting-approval; steps still to run: gated, last/,
    );
    const approved = await cli(['approve', id, 'gated', '--by', 'bob', '--json']);
    assert.equal(approved.exitCode, 0, approved.stderr);
    assert.equal(JSON.parse(approved.stdout).decided, true);
    const watched = await watching;
    assert.equal(watched.exitCode, 0, watched.stderr);
    const lines = watched.stdout.trim().split('\n');
    assert.match(lines[0]!, /incident-started/);
    assert.ok(lines.some((l) => /approval-requested +\[gated\]/.test(l)));
    assert.ok(lines.some((l) => /approved +\[gated\] \(bob\)/.test(l)));
    assert.equal(lines.at(-1), `${id} ended: resolved`);

    const again = await cli(['approve', id, 'gated', '--by', 'carol']);
    assert.equal(again.exitCode, 4);
    assert.match(again.stderr, /has ended \(completed\)|not waiting/);
    const out = join(tempDir('tourniquet-report-'), 'note.md');
    const report = await cli(['report', id, '--out', out]);
    assert.equal(report.exitCode, 0, report.stderr);
    assert.match(readFileSync(out, 'utf8'), /^# Incident inc-/);
  });

  it('watch exits 1 when the incident does not resolve; list filters by phase', async () => {
    const { id } = await start(gated({ onDeny: 'abort' }));
    await until(id, 'the gate', (p) => p.state === 'awaiting-approval');
    const listed = await cli(['list', '--open', '--phase', 'contain', '--json']);
    assert.equal(listed.exitCode, 0, listed.stderr);
    assert.ok((JSON.parse(listed.stdout) as { id: string }[]).some((r) => r.id === id));
    const none = await cli(['list', '--phase', 'learn', '--json']);
    assert.ok(!(JSON.parse(none.stdout) as { id: string }[]).some((r) => r.id === id));
    await deny(env.client, id, { step: 'gated', by: 'bob', reason: 'wrong job' });
    const watched = await cli(['watch', id, '--json']);
    assert.equal(watched.exitCode, 1);
    const events = watched.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string });
    assert.equal(events.at(-1)!.kind, 'incident-finished');
  });
});
