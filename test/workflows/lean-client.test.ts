/**
 * The lean read-only client (client/lean/) against a real server and worker: `list` rows and
 * the `progress` query answer exactly what the SDK path answers, an unknown id is the same
 * UnknownIncident, and what it cannot read for certain it hands back to the SDK (undefined).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../common/config';
import { Problem } from '../../common/errors';
import { getProgress, parseIncident, startIncident } from '../../client/incidents';
import { openLeanClient, type LeanClient } from '../../client/lean';
import { leanDescriptor, leanDescriptorFile, LEAN_METHODS } from '../../client/lean/descriptor';
import { incidentRow, listIncidents, listQuery } from '../../client/listing';
import { PROGRESS_QUERY, WORKFLOW_TYPE } from '../../contract/names';
import { tempDir } from '../helpers/activity';
import { gated } from '../helpers/incidents';
import { startTestServer, startTestWorker, waitFor, type TestServer } from '../helpers/temporal';

const taskQueue = `lean-${randomBytes(4).toString('hex')}`;
let env: TestServer;
let stopWorker: () => Promise<void>;
let lean: LeanClient;
const ids: string[] = [];

before(async () => {
  env = await startTestServer();
  const { worker, running } = await startTestWorker(env, { taskQueue, home: tempDir('tourniquet-lean-') });
  stopWorker = async () => {
    worker.shutdown();
    await running;
  };
  const server = loadConfig({ TEMPORAL_ADDRESS: env.address }).server;
  lean = openLeanClient(server, leanDescriptorFile())!;
  assert.ok(lean, 'the lean client opens with a schema cut from the installed @temporalio/proto');
  const drafts = [
    gated({}, { title: 'held at its gate' }),
    // A drill passes its gates by itself and ends resolved.
    gated({}, { title: 'a drill', mode: 'drill', severity: 'S3' }),
    gated({}, { title: 'stopped from outside' }),
  ];
  for (const draft of drafts) {
    const { id } = await startIncident(env.client, parseIncident(draft), { taskQueue });
    ids.push(id);
    const until = draft.mode === 'drill' ? 'resolved' : 'awaiting-approval';
    await waitFor(`${id} ${until}`, async () => ((await getProgress(env.client, id)).state === until ? true : undefined));
  }
  // Stopped from outside: its row says so, whatever its memo recorded.
  await env.client.workflow.getHandle(ids[2]!).terminate('test');
});

after(async () => {
  lean?.close();
  await stopWorker?.();
  await env?.stop();
});

describe('the schema cut', () => {
  it('holds the lean methods and what they reach, a small part of the whole', () => {
    const text = JSON.stringify(leanDescriptor());
    for (const m of LEAN_METHODS) assert.match(text, new RegExp(`"${m}":\\{"requestType"`));
    assert.match(text, /"WorkflowExecutionInfo"/);
    assert.ok(!/"StartWorkflowExecutionRequest"/.test(text), 'methods outside the list are left out');
    assert.ok(text.length < 100_000, `the cut is ${text.length} bytes`);
  });
});

describe('lean reads against the server', () => {
  it('list: the same rows as the SDK, for every filter and limit', async () => {
    for (const [filter, limit] of [
      [{}, 20],
      [{ open: true }, 20],
      [{ severity: 'S3' }, 20],
      [{ phase: 'contain', open: true }, 20],
      [{}, 1],
    ] as const) {
      const seen = await lean.list(listQuery(filter), limit);
      assert.ok(seen, `lean list answered ${JSON.stringify(filter)}`);
      const sdk = await listIncidents(env.client, filter, limit);
      assert.deepEqual(seen.map(incidentRow), sdk, JSON.stringify(filter));
      assert.equal(sdk.length, Math.min(limit, 'severity' in filter || 'open' in filter ? 1 : 3), JSON.stringify(filter));
    }
    // The server's order (running first), which the SDK's rows above share; here, what each row says.
    const rows = (await lean.list(listQuery({}), 20))!.map(incidentRow).sort((a, b) => b.started.localeCompare(a.started));
    assert.deepEqual(
      rows.map((r) => [r.id, r.state, r.mode, r.title, r.severity]),
      [
        [ids[2], 'terminated', 'live', 'stopped from outside', 'S2'],
        [ids[1], 'resolved', 'drill', 'a drill', 'S3'],
        [ids[0], 'awaiting-approval', 'live', 'held at its gate', 'S2'],
      ],
    );
  });

  it('status: the progress query answers what the SDK gets', async () => {
    const answer = await lean.query(ids[0]!, PROGRESS_QUERY);
    assert.ok(answer);
    assert.deepEqual(answer.value, await getProgress(env.client, ids[0]!));
  });

  it('an unknown id is the same UnknownIncident as through the SDK', async () => {
    const sdk = await getProgress(env.client, 'inc-none').catch((e: unknown) => e);
    const seen = await lean.query('inc-none', PROGRESS_QUERY).catch((e: unknown) => e);
    assert.ok(seen instanceof Problem && sdk instanceof Problem);
    assert.equal(seen.kind, 'UnknownIncident');
    assert.equal(seen.message, sdk.message);
  });

  it('what it cannot read for certain goes back to the SDK: a query the workflow does not know, a memo not in JSON', async () => {
    assert.equal(await lean.query(ids[0]!, 'no-such-query'), undefined);
    // Never polled (no worker on the queue): it only has to be listed.
    await env.client.workflow.start(WORKFLOW_TYPE, {
      taskQueue: `${taskQueue}-idle`,
      workflowId: `inc-binary-memo-${randomBytes(4).toString('hex')}`,
      args: [],
      memo: { title: new Uint8Array([1, 2, 3]) },
    });
    await waitFor('the new workflow in the list', async () => ((await listIncidents(env.client, {}, 20)).length === 4 ? true : undefined));
    assert.equal(await lean.list(listQuery({}), 20), undefined);
  });
});
