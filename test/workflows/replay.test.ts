/**
 * Determinism: replay the recorded histories in test/histories against today's workflow code.
 * A change that would break incidents already in flight fails here.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../helpers/temporal';

const dir = new URL('../histories/', import.meta.url).pathname;
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

it('replays every recorded incident history without nondeterminism', async () => {
  assert.ok(files.length >= 3, `expected recorded histories in ${dir}, found ${files.length}`);
  const histories = files.map((f) => ({ workflowId: f, history: historyFromJSON(JSON.parse(readFileSync(join(dir, f), 'utf8'))) }));
  const results = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) results.push(result);
  assert.equal(results.length, files.length);
  for (const r of results) assert.equal(r.error, undefined, `${r.workflowId}: ${String(r.error)}`);
});
