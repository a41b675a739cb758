/**
 * Scenario (c) of issue 10, end to end: the gateway token of a real OpenClaw gateway leaked
 * (into a workspace note and an agent's transcript), and the `openclaw-secret-exposure`
 * playbook kills it through a real Temporal dev server and worker. Asserted on the world: the
 * gateway refuses the old token within seconds of the start and accepts the new one, and
 * neither value is in the workflow history, the worker's log, the evidence or the note, while
 * the places the leak was copied from (the workspace note, the config's rolling backup) still
 * hold it, so the absence is redaction, not luck.
 *
 * One gateway for the file. TOURNIQUET_SKIP_OPENCLAW=1 skips it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { connectGateway, runAgentTurn, toolsInvoke, toolsInvokeStatus } from '../../activities/openclaw';
import { verifyEvidence } from '../../activities';
import { approve, recordControl } from '../../client/incidents';
import { fingerprint } from '../../common/hash';
import { currentToken, driveIncident, filesUnder, MINUTE, skipOpenClaw, clawWorldForSuite } from '../helpers/openclaw';
import { startDraft } from '../helpers/start';

describe('scenario (c): a leaked gateway token, killed by the openclaw-secret-exposure playbook', { skip: skipOpenClaw, timeout: 15 * MINUTE }, () => {
  const world = clawWorldForSuite();

  it('the old token is dead within seconds, and no copy of either token leaves the gateway', { timeout: 10 * MINUTE }, async (t) => {
    const leaked = world.gateway.token;
    // The leak: pasted into a workspace note and into a conversation with the agent.
    writeFileSync(join(world.gateway.workspaceDir, 'NOTES.md'), `# Notes\n\n- gateway token for the deploy bot: ${leaked}\n`);
    const before = await toolsInvoke(world.gateway.url, leaked);
    assert.equal(before.status, 200, `the leaked token works before the incident: ${before.body}`);
    const gw = await connectGateway({ url: `ws://127.0.0.1:${world.gateway.port}`, token: leaked });
    const turn = await runAgentTurn(gw, {
      message: `remember this token for later: ${leaked}`,
      sessionKey: 'agent:main:leak',
      idempotencyKey: randomUUID(),
      timeoutMs: 5 * MINUTE,
    });
    assert.equal(turn.status, 'ok');
    await gw.close();
    const afterTurn = await toolsInvoke(world.gateway.url, leaked);
    assert.notEqual(afterTurn.status, 401, `the leaked token is still accepted after the conversation: ${afterTurn.body}`);

    const started = Date.now();
    const { id, handle } = await startDraft(world.env.client, world.compile('openclaw-secret-exposure', 'live'), { taskQueue: world.taskQueue });
    // The world's view, independent of the incident's: poll the gateway with the leaked token until it is refused.
    let refusedAt: number | undefined;
    while (refusedAt === undefined && Date.now() - started < 3 * MINUTE) {
      if ((await toolsInvokeStatus(world.gateway.url, leaked)) === 401) refusedAt = Date.now();
      else await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(refusedAt, 'the gateway refuses the leaked token');
    const rotated = await driveIncident(world, id, 'the rotation to be proven', (p) => p.steps.find((s) => s.id === 'rotate-token')?.status === 'succeeded');
    t.diagnostic(
      `containment: the gateway refused the leaked token ${((refusedAt - started) / 1000).toFixed(1)} s after the start of the incident; the rotation step proved it ${((Date.now() - started) / 1000).toFixed(1)} s after (at most)`,
    );
    const fresh = currentToken(world.gateway);
    assert.notEqual(fresh, leaked);
    assert.equal(await toolsInvokeStatus(world.gateway.url, leaked), 401, 'old token refused');
    const accepted = await toolsInvoke(world.gateway.url, fresh);
    assert.equal(accepted.status, 200, `new token accepted: ${accepted.body}`);
    assert.equal(rotated.steps.find((s) => s.id === 'rotate-token')!.result?.oldFingerprint, fingerprint(leaked));

    const waiting = await driveIncident(
      world,
      id,
      'the incident to wait for its durable control',
      (p) => p.state === 'awaiting-control',
      (step) => approve(world.env.client, id, { step, by: 'alice' }),
    );
    const evidence = String(waiting.steps.find((s) => s.id === 'capture-evidence')!.result?.folder);
    assert.deepEqual(await verifyEvidence(evidence), []);
    // The scan looked for the old value by fingerprint in the evidence and found it only redacted.
    const scan = waiting.steps.find((s) => s.id === 'scan-for-old-value')!;
    assert.equal(scan.status, 'succeeded');
    assert.equal(waiting.steps.find((s) => s.id === 'smoke')!.status, 'succeeded');
    await recordControl(world.env.client, id, { kind: 'rotated-credential', note: 'gateway token moved to a SecretRef; never pasted into chats', by: 'alice' });
    const result = await handle.result();
    assert.equal(result.state, 'resolved');
    const note = readFileSync(String(result.steps.at(-1)!.result?.path), 'utf8');

    // The leak is still where it was copied from: the redaction below is what keeps it out.
    assert.ok(readFileSync(join(world.gateway.workspaceDir, 'NOTES.md'), 'utf8').includes(leaked));
    const backups = readdirSync(dirname(world.gateway.configPath)).filter((n) => /^openclaw\.json\.bak/.test(n));
    assert.ok(
      backups.some((n) => readFileSync(join(dirname(world.gateway.configPath), n), 'utf8').includes(leaked)),
      `a rolling config backup holds the leaked token (${backups.join(', ')})`,
    );
    const capturedNote = readFileSync(join(evidence, 'workspace', 'NOTES.md'), 'utf8');
    assert.ok(capturedNote.includes(fingerprint(leaked)), 'the captured note shows where the token was, by fingerprint');
    const transcript = readFileSync(join(evidence, 'transcripts', 'main.jsonl'), 'utf8');
    assert.ok(transcript.includes('remember this token for later'), 'the transcript of the leak is in the evidence');

    // History (payloads decoded: protobuf's JSON renders them base64), worker log, evidence, note.
    const history = JSON.stringify(await handle.fetchHistory(), (key, v: unknown) =>
      key === 'data' && typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : v,
    );
    assert.ok(history.includes(fingerprint(leaked)), 'the decoded history is readable (it holds the fingerprint)');
    const places: [string, string][] = [
      ['history', history],
      ['worker log', readFileSync(world.logFile, 'utf8')],
      ['note', note],
      ...filesUnder(evidence).map((f): [string, string] => [f, readFileSync(f, 'latin1')]),
    ];
    assert.ok(places.length > 5 && existsSync(world.logFile));
    for (const [where, text] of places) {
      assert.ok(!text.includes(leaked), `the leaked token is in ${where}`);
      assert.ok(!text.includes(fresh), `the new token is in ${where}`);
    }
  });
});
