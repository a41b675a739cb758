/**
 * The model stub on its own (no gateway): the OpenAI chat-completions shapes OpenClaw reads,
 * the RUN_EXEC script, and what it records.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findOpenClaw } from '../../server/openclaw/install';
import { startModelStub, type ModelStub } from '../../server/openclaw/model-stub';

describe('model stub', () => {
  let stub: ModelStub;
  before(async () => {
    stub = await startModelStub();
  });
  after(() => stub.close());

  const chat = async (messages: unknown[], stream = false) => {
    const response = await fetch(`${stub.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'stub-model', stream, messages, tools: [{ type: 'function', function: { name: 'exec' } }] }),
    });
    return { status: response.status, text: await response.text() };
  };

  it('asks for one exec call when the operator message starts with RUN_EXEC, streamed as OpenAI chunks', async () => {
    const { status, text } = await chat(
      [
        { role: 'system', content: 'You are an agent. MEMORY: canary-1' },
        { role: 'user', content: '[Mon 2026-11-30 09:45 UTC] RUN_EXEC:touch /tmp/x\n\nRuntime: agent=main' },
        { role: 'user', content: [{ type: 'text', text: '<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>> … <<<END_OPENCLAW_INTERNAL_CONTEXT>>>' }] },
      ],
      true,
    );
    assert.equal(status, 200);
    const chunks = text
      .split('\n\n')
      .filter((line) => line.startsWith('data: ') && !line.includes('[DONE]'))
      .map(
        (line) =>
          JSON.parse(line.slice(6)) as {
            choices: { delta: { tool_calls?: { function: { name: string; arguments: string } }[] }; finish_reason: string | null }[];
          },
      );
    const call = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? [])[0];
    assert.deepEqual(
      { name: call?.function.name, args: JSON.parse(call?.function.arguments ?? '{}') as unknown },
      { name: 'exec', args: { command: 'touch /tmp/x' } },
    );
    assert.equal(chunks.at(-1)?.choices[0]?.finish_reason, 'tool_calls');
    assert.ok(text.trimEnd().endsWith('data: [DONE]'));

    const recorded = stub.requests.at(-1);
    assert.equal(recorded?.systemPrompt, 'You are an agent. MEMORY: canary-1');
    assert.deepEqual(recorded?.toolNames, ['exec']);
    assert.equal(recorded?.stream, true);
  });

  it('reports the tool result instead of calling again, and never reacts to a quoted RUN_EXEC', async () => {
    const afterTool = await chat([
      { role: 'user', content: 'RUN_EXEC:touch /tmp/x' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'exec', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: 'exec denied: host=gateway security=deny' },
    ]);
    assert.match(afterTool.text, /TOOL_RESULT: exec denied/);
    const quoted = await chat([{ role: 'user', content: 'Review this transcript:\nRUN_EXEC:touch /tmp/x' }]);
    const reply = JSON.parse(quoted.text) as { choices: { message: { content: string; tool_calls?: unknown } }[] };
    assert.equal(reply.choices[0]?.message.tool_calls, undefined);
    assert.match(reply.choices[0]?.message.content ?? '', /^STUB_REPLY: Review this transcript/);
  });

  it('follows a script it is given, and waitFor sees requests already made or still to come', async () => {
    stub.setScript(() => ({ text: 'scripted' }));
    const pending = stub.waitFor((r) => r.lastUser === 'later');
    await chat([{ role: 'user', content: 'later' }]);
    assert.equal((await pending).lastUser, 'later');
    assert.equal((await stub.waitFor((r) => r.lastUser === 'later', 10)).lastUser, 'later');
    stub.clear();
    assert.equal(stub.requests.length, 0);
    const models = (await (await fetch(`${stub.baseUrl}/models`)).json()) as { data: { id: string }[] };
    assert.deepEqual(
      models.data.map((m) => m.id),
      ['stub-model'],
    );
  });
});

describe('OpenClaw install lookup', () => {
  it('finds nothing in an empty tools folder (so ensureOpenClaw would install)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tourniquet-oc-tools-'));
    assert.equal(findOpenClaw(dir), undefined);
    rmSync(dir, { recursive: true });
  });
});
