/**
 * Approver identity on a real Temporal server and worker: a destructive S1 step with quorum 2
 * is released only by two enrolled people with valid proofs (authenticator codes sent through
 * the Temporal CLI's `workflow signal`, as the Web UI does, and through `tourniquet approve`;
 * SSH signatures made with ssh-keygen), never by typed names, a code twice, a replayed code or
 * the requester. Then the secrets and the codes are searched for everywhere they must not be.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { execa } from 'execa';
import { pino } from 'pino';
import { approve, getProgress } from '../../client/incidents';
import { signDecision } from '../../client/identity';
import { enrollApprover, readApprovers } from '../../common/approvers';
import { base32Decode, timeStep, totpCode } from '../../common/totp';
import type { Problem } from '../../common/errors';
import { approveSignal, type IncidentInputDraft, type IncidentProgress } from '../../contract';
import { tempDir } from '../helpers/activity';
import { startDraft } from '../helpers/start';
import { quietLogger, startTestStack, untilProgress, workflowBundle, type TestServer, type TestStack } from '../helpers/temporal';
import { ensureTemporalCli } from '../../server/temporal-cli';

const root = new URL('../..', import.meta.url).pathname;
const home = tempDir('tourniquet-identity-home-');
const approversFile = join(home, 'approvers.json');
const logFile = join(tempDir('tourniquet-identity-log-'), 'worker.log');
const keys = tempDir('tourniquet-identity-keys-');
const taskQueue = `identity-${randomUUID()}`;
// The same Temporal CLI the embedded server runs from (found or installed project-locally).
let temporalCli: string;

let env: TestServer;
let stack: TestStack;
const secrets: Record<string, string> = {};

before(async () => {
  temporalCli = (await ensureTemporalCli(quietLogger)).path;
  for (const name of ['alice', 'bob', 'dave', 'ann']) secrets[name] = enrollApprover(approversFile, name, { randomBytes, now: new Date() }).secret;
  for (const name of ['carol', 'eve']) await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', join(keys, name)]);
  secrets.carol = enrollApprover(approversFile, 'carol', { randomBytes, now: new Date(), sshPublicKey: readFileSync(join(keys, 'carol.pub'), 'utf8') }).secret;
  // Everything the worker logs, at debug, lands in a file the test searches.
  const logger = pino({ level: 'debug' }, pino.destination({ dest: logFile, sync: true }));
  stack = await startTestStack({ taskQueue, home, approversFile, logger });
  ({ env } = stack);
});

after(() => stack?.stop());

/** Someone's code for now, as their authenticator app shows it. */
const codeOf = (name: string, offset = 0) => totpCode(base32Decode(secrets[name]!), timeStep(new Date()) + offset);

const until = (id: string, what: string, check: (p: IncidentProgress) => boolean) => untilProgress(env.client, id, what, check);

/** The UI's way: the Temporal CLI's `workflow signal` with one JSON object. */
const uiSignal = (id: string, input: Record<string, unknown>) =>
  execa(temporalCli, ['workflow', 'signal', '--address', env.address, '--workflow-id', id, '--name', 'approve', '--input', JSON.stringify(input)]);

const tourniquet = (args: string[]) =>
  execa(process.execPath, [join(root, 'bin/tourniquet.js'), ...args], {
    cwd: root,
    reject: false,
    env: { TEMPORAL_ADDRESS: env.address, TOURNIQUET_TASK_QUEUE: taskQueue, TOURNIQUET_HOME: home, LOG_LEVEL: 'silent' },
  });

/** The current details the Temporal UI shows (the SDK's built-in metadata query). */
async function currentDetails(handle: WorkflowHandle): Promise<string> {
  const meta = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  return meta.currentDetails ?? '';
}

/** Every payload of the history decoded to text, so a search sees what the server stores. */
function decoded(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (Array.isArray(value)) return value.map(decoded);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decoded(v)]));
  return value;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

const destructive: IncidentInputDraft = {
  class: 'destructive-action',
  severity: 'S1',
  title: 'agent overwrote the workspace',
  requestedBy: 'ann',
  steps: [
    {
      id: 'restore',
      action: 'runCommand',
      effects: { changes: ['workspace'] },
      approval: { required: true, quorum: 2 },
      args: { argv: ['true'] },
    },
    {
      id: 'wipe-cache',
      action: 'runCommand',
      effects: { changes: ['cache'] },
      approval: { required: true, quorum: 2 },
      args: { argv: ['true'] },
    },
    { id: 'note', action: 'writeNote', args: {} },
  ],
} as IncidentInputDraft;

describe('approver identity', () => {
  it('the store is private to the worker', () => {
    assert.equal(statSync(approversFile).mode & 0o777, 0o600);
    assert.deepEqual(Object.keys(readApprovers(approversFile).approvers).sort(), ['alice', 'ann', 'bob', 'carol', 'dave']);
  });

  it('releases a destructive S1 step with quorum 2 only for two enrolled people with valid proofs', async () => {
    const { id, handle } = await startDraft(env.client, destructive, { taskQueue });
    await until(id, 'the restore gate', (p) => p.pendingApprovals[0]?.step === 'restore');
    const sent: string[] = [];

    // Typed names without codes, through the UI's path: nothing changes, and the details say why.
    await uiSignal(id, { step: 'restore', by: 'alice' });
    await uiSignal(id, { step: 'restore', by: 'bob' });
    let p = await until(id, 'two ignored signals', (q) => q.timeline.filter((e) => e.kind === 'signal-ignored').length === 2);
    assert.deepEqual(p.steps[0]!.approvedBy ?? [], []);
    assert.match(p.timeline.at(-1)!.message, /approve ignored: step "restore" needs a proven identity: add "code"/);
    assert.match(await currentDetails(handle), /Last signal ignored \(.*\): approve ignored: step "restore" needs a proven identity/);
    const status = await tourniquet(['status', id]);
    assert.match(status.stdout, /last signal ignored at .*: approve ignored: step "restore" needs a proven identity/);

    // A wrong code and someone else's code are refused.
    await uiSignal(id, { step: 'restore', by: 'alice', code: codeOf('alice') === '000000' ? '111111' : '000000' });
    const alice = codeOf('alice');
    sent.push(alice);
    await uiSignal(id, { step: 'restore', by: 'bob', code: alice });
    p = await until(id, 'two more ignored', (q) => q.timeline.filter((e) => e.kind === 'signal-ignored').length === 4);
    assert.match(p.timeline.at(-1)!.message, /bob's identity is not proven: the code is not bob's current code/);

    // Alice's valid code (spaces as an app shows them) counts once; the same code again does not.
    await uiSignal(id, { step: 'restore', by: 'alice', code: `${alice.slice(0, 3)} ${alice.slice(3)}` });
    p = await until(id, 'alice counted', (q) => (q.steps[0]!.approvedBy ?? []).includes('alice'));
    assert.equal(p.steps[0]!.approvalsNeeded, 1);
    assert.deepEqual(
      p.steps[0]!.decisions!.map((d) => [d.by, d.proof]),
      [['alice', 'totp']],
    );
    await uiSignal(id, { step: 'restore', by: 'alice', code: alice });
    p = await until(id, 'the repeat ignored', (q) => q.timeline.filter((e) => e.kind === 'signal-ignored').length === 5);
    assert.match(p.timeline.at(-1)!.message, /alice already approved step "restore"/);

    // The requester, even with her own valid code, may not approve an S1 step.
    const ann = codeOf('ann');
    sent.push(ann);
    await assert.rejects(approve(env.client, id, { step: 'restore', by: 'ann', code: ann }), (e: Problem) => {
      assert.equal(e.kind, 'Refused');
      return /ann started this incident/.test(e.message);
    });
    // Without a code, the update answers at once, with its own exit code.
    const bare = await tourniquet(['approve', id, 'restore', '--by', 'bob']);
    assert.equal(bare.exitCode, 10, bare.stderr);
    assert.match(bare.stderr, /needs a proven identity/);
    const wrong = await tourniquet(['approve', id, 'restore', '--by', 'bob', '--code', codeOf('bob') === '123456' ? '654321' : '123456']);
    assert.equal(wrong.exitCode, 10, wrong.stderr);
    assert.match(wrong.stderr, /bob's identity is not proven: the code is not bob's current code/);
    assert.equal((await getProgress(env.client, id)).steps[0]!.status, 'awaiting-approval', 'still held');

    // Bob's valid code through the CLI releases the step.
    const bob = codeOf('bob');
    sent.push(bob);
    const released = await tourniquet(['approve', id, 'restore', '--by', 'bob', '--code', bob]);
    assert.equal(released.exitCode, 0, released.stderr);
    assert.match(released.stdout, /approved restore of .* as bob: the step goes on/);
    p = await until(id, 'the second gate', (q) => q.pendingApprovals[0]?.step === 'wipe-cache');
    assert.equal(p.steps[0]!.status, 'succeeded');

    // Alice's code, read from the history and replayed on the next gate, is spent.
    await uiSignal(id, { step: 'wipe-cache', by: 'alice', code: alice });
    p = await until(id, 'the replay ignored', (q) => q.timeline.at(-1)?.kind === 'signal-ignored');
    assert.match(p.timeline.at(-1)!.message, /alice's (code was already used in this incident|identity is not proven: the code is not alice's current code)/);

    // SSH: a signature by an unenrolled key, and a tampered one (other time than it covers), are refused.
    const forged = await signDecision(join(keys, 'eve'), { incidentId: id, step: 'wipe-cache', decision: 'approve', by: 'carol' });
    await handle.signal(approveSignal, { step: 'wipe-cache', by: 'carol', ...forged });
    const signed = await signDecision(join(keys, 'carol'), { incidentId: id, step: 'wipe-cache', decision: 'approve', by: 'carol' });
    await handle.signal(approveSignal, {
      step: 'wipe-cache',
      by: 'carol',
      signature: signed.signature,
      signedAt: new Date(Date.parse(signed.signedAt) - 1000).toISOString(),
    });
    p = await until(
      id,
      'two refused signatures',
      (q) => q.timeline.slice(-2).every((e) => e.kind === 'signal-ignored') && q.timeline.at(-2)!.message.includes('SSH'),
    );
    for (const e of p.timeline.slice(-2))
      assert.match(e.message, /carol's identity is not proven: the SSH signature does not verify against carol's enrolled key SHA256:/);
    assert.deepEqual(p.steps[1]!.approvedBy ?? [], []);

    // Carol's own signature, made by `tourniquet approve --ssh-key`, counts, with her key's fingerprint.
    const bySsh = await tourniquet(['approve', id, 'wipe-cache', '--by', 'carol', '--ssh-key', join(keys, 'carol')]);
    assert.equal(bySsh.exitCode, 0, bySsh.stderr);
    const dave = codeOf('dave');
    sent.push(dave);
    await approve(env.client, id, { step: 'wipe-cache', by: 'dave', code: dave });
    const result = await handle.result();
    assert.equal(result.state, 'resolved');
    const fingerprint = readApprovers(approversFile).approvers.carol!.ssh!.fingerprint;
    assert.deepEqual(
      result.steps.flatMap((s) => (s.decisions ?? []).map((d) => [s.id, d.by, d.proof, d.fingerprint])),
      [
        ['restore', 'alice', 'totp', undefined],
        ['restore', 'bob', 'totp', undefined],
        ['wipe-cache', 'carol', 'ssh', fingerprint],
        ['wipe-cache', 'dave', 'totp', undefined],
      ],
    );

    // The note lists who approved and by which proof.
    const notePath = String(result.steps[2]!.result!.path);
    const note = readFileSync(notePath, 'utf8');
    assert.match(note, /restore: approved by alice \(proven: authenticator code\)/);
    assert.match(note, new RegExp(`wipe-cache: approved by carol \\(proven: SSH key ${fingerprint.replace(/[+/]/g, '\\$&')}\\)`));

    // Secrets: nowhere. Codes: only in the signals' and updates' own input in the history.
    const events = (await handle.fetchHistory()).events ?? [];
    const history = JSON.stringify(decoded(events));
    const outsideInputs = JSON.stringify(
      decoded(events.filter((e) => !e.workflowExecutionSignaledEventAttributes && !e.workflowExecutionUpdateAcceptedEventAttributes)),
    );
    const logs = readFileSync(logFile, 'utf8');
    const stored = filesUnder(home)
      .filter((f) => f !== approversFile)
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const progress = JSON.stringify(result);
    const details = await currentDetails(handle);
    assert.ok(logs.includes('approver identity proven'), 'the worker logged its checks');
    assert.ok(history.includes(alice), 'the search reads the decoded history');
    for (const [name, secret] of Object.entries(secrets)) {
      for (const [where, text] of Object.entries({ history, logs, stored, progress, details, note })) {
        assert.ok(!text.includes(secret), `${name}'s secret is in the ${where}`);
      }
    }
    for (const code of sent) {
      for (const [where, text] of Object.entries({ history: outsideInputs, logs, stored, progress, details, note })) {
        assert.ok(!text.includes(`"${code}"`) && !text.includes(`code ${code}`), `a code is in the ${where} beyond the signal's own input`);
      }
    }
    assert.ok(!outsideInputs.includes('BEGIN SSH SIGNATURE'), 'the signature stays in its signal');

    // The proof checks (local activities inside signal and update handlers) replay deterministically.
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle(), replayName: 'proven approvals' }, await handle.fetchHistory());
  });

  it('a drill needs no proof; an asserted step believes the typed name', async () => {
    const drill = await startDraft(env.client, { ...destructive, mode: 'drill' }, { taskQueue });
    const drilled = await drill.handle.result();
    assert.equal(drilled.state, 'resolved');
    assert.ok(drilled.steps.every((s) => s.identity === undefined || s.status === 'succeeded'));

    const lab = {
      ...destructive,
      steps: [{ id: 'restore', action: 'runCommand', approval: { required: true, identity: 'asserted' }, args: { argv: ['true'] } }],
    } as IncidentInputDraft;
    const { id, handle } = await startDraft(env.client, lab, { taskQueue });
    await until(id, 'the gate', (p) => p.state === 'awaiting-approval');
    await approve(env.client, id, { step: 'restore', by: 'bob' });
    const result = await handle.result();
    assert.deepEqual(
      result.steps[0]!.decisions!.map((d) => [d.by, d.proof]),
      [['bob', undefined]],
    );
  });
});
