/**
 * Announcing never delays containment: secret-exposure on the demo sandbox, announcing on a
 * chat webhook that takes 10 s to answer. The freeze is done while the announcement still
 * hangs. The playbook is the built-in one with a channel (test/fixtures/playbooks).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { isAlive, readPidfile } from '../../activities/process';
import { cancelIncident, getProgress } from '../../client/incidents';
import { compilePlaybook, YamlSource, type Inventory } from '../../compiler';
import { PROJECT_ROOT } from '../../common/paths';
import { SANDBOX_PARAMS } from '../../demo/sandbox';
import type { IncidentProgress } from '../../contract';
import { tempDir } from '../helpers/activity';
import { slowHook, type SlowHook } from '../../bench/slow-hook';
import { waitFor } from '../helpers/temporal';
import { startDraft } from '../helpers/start';
import { startSandboxWorld, type SandboxWorld } from '../helpers/world';

const home = tempDir('tourniquet-announce-home-');
const taskQueue = `announce-${randomUUID()}`;
let world: SandboxWorld;
let hook: SlowHook;

before(async () => {
  world = await startSandboxWorld({ home, taskQueue });
  hook = await slowHook(10_000);
});

after(async () => {
  hook.close();
  await world.stop();
});

/** The sandbox's inventory with a chat channel whose URL (a secret, as Slack's are) sits in an env file. */
function withChannel(inventory: Inventory, url: string): Inventory {
  const envFile = join(tempDir('tourniquet-announce-chat-'), 'chat.env');
  writeFileSync(envFile, `CHAT_URL=${url}\n`, { mode: 0o600 });
  return { ...inventory, channels: { chat: { kind: 'webhook', urlFrom: { envFile, key: 'CHAT_URL' }, timeoutMs: 15_000 } } };
}

it('the freeze is done while the announcement still waits on its webhook', async () => {
  const { env, sb, inventory } = world;
  const input = compilePlaybook(YamlSource.read(join(PROJECT_ROOT, 'test', 'fixtures', 'playbooks', 'secret-exposure-parallel.yaml')), {
    inventory: withChannel(inventory, hook.url),
    params: { ...SANDBOX_PARAMS['secret-exposure']!, channel: 'chat' },
    home,
  });
  const pid = readPidfile(sb.pidfile)!;
  assert.ok(isAlive(pid), 'the gateway runs before the incident');
  const { id, handle } = await startDraft(env.client, input, { taskQueue });
  const frozen = await waitFor('the freeze', async () => {
    const p = await getProgress(env.client, id);
    return p.steps.find((s) => s.id === 'freeze-service')?.status === 'succeeded' ? p : undefined;
  });
  const status = (p: IncidentProgress, step: string) => p.steps.find((s) => s.id === step)?.status;
  assert.equal(status(frozen, 'announce'), 'running', 'the announcement has not finished');
  assert.equal(hook.calls.length, 1, 'the webhook got the announcement');
  assert.equal(hook.calls[0]!.answered, undefined, 'and has not answered it yet');
  assert.ok(!isAlive(pid), 'the gateway is really stopped');

  // The announcement lands in the end, and the incident goes on past the group.
  const announced = await waitFor('the announcement', async () => {
    const p = await getProgress(env.client, id);
    return status(p, 'announce') === 'succeeded' ? p : undefined;
  });
  assert.ok(hook.calls[0]!.answered !== undefined);
  assert.equal(status(announced, 'freeze-service'), 'succeeded');
  await cancelIncident(env.client, id);
  await assert.rejects(handle.result());
});
