/**
 * The idempotency journal's two writes: `pending` durable before the action acts, `done` in a
 * file of its own that the machine may lose (or lose part of) without the step acting twice.
 */
import assert from 'node:assert/strict';
import { readdirSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { incidentDir, Journal, type StepKey } from '../../activities/journal';
import { tempDir } from '../helpers/activity';

const key: StepKey = { workflowId: 'inc-journal', runId: 'run-1', stepId: 'stop-agent' };
const at = '2026-11-30T00:00:00.000Z';
const record = { pid: 4242, startTime: 99 };
const result = { summary: 'stopped agent (pid 4242), confirmed gone' };

function journalWithBoth(): { journal: Journal; dir: string } {
  const home = tempDir('tourniquet-journal-');
  const journal = new Journal(home);
  journal.write({ key, action: 'stopService', state: 'pending', at, record });
  journal.write({ key, action: 'stopService', state: 'done', at, record, result });
  return { journal, dir: join(incidentDir(home, key.workflowId), 'journal') };
}

describe('idempotency journal', () => {
  it('keeps pending and done in files of their own, and reads the done', () => {
    const { journal, dir } = journalWithBoth();
    assert.deepEqual(readdirSync(dir).sort(), ['run-1--stop-agent.done.json', 'run-1--stop-agent.json']);
    assert.equal(journal.read(key)?.state, 'done');
    assert.deepEqual(journal.read(key)?.result, result);
    assert.deepEqual(
      journal.all(key.workflowId).map((e) => [e.key.stepId, e.state]),
      [['stop-agent', 'done']],
    );
  });

  it('reads the pending again when the done was lost, whole or in part', () => {
    for (const lose of [(f: string) => unlinkSync(f), (f: string) => truncateSync(f, 0), (f: string) => truncateSync(f, 20)]) {
      const { journal, dir } = journalWithBoth();
      lose(join(dir, 'run-1--stop-agent.done.json'));
      const entry = journal.read<typeof record>(key);
      assert.equal(entry?.state, 'pending');
      assert.deepEqual(entry?.record, record, 'the record to recognise its own work stands');
      assert.deepEqual(
        journal.all(key.workflowId).map((e) => e.state),
        ['pending'],
      );
    }
  });

  it('refuses a broken pending instead of taking the step for a first attempt', () => {
    const { journal, dir } = journalWithBoth();
    unlinkSync(join(dir, 'run-1--stop-agent.done.json'));
    writeFileSync(join(dir, 'run-1--stop-agent.json'), '{"key": ');
    assert.throws(() => journal.read(key), SyntaxError);
  });

  it('a later pending stands over an earlier done of the same step', () => {
    const { journal } = journalWithBoth();
    journal.write({ key, action: 'stopService', state: 'pending', at, record: { pid: 5151, startTime: 7 } });
    assert.equal(journal.read(key)?.state, 'pending');
    assert.deepEqual(journal.read(key)?.record, { pid: 5151, startTime: 7 });
  });

  it('lists a step that only read (a done and no pending) and reads journals written before done had its own file', () => {
    const { journal, dir } = journalWithBoth();
    const other: StepKey = { ...key, stepId: 'capture' };
    journal.write({ key: other, action: 'captureEvidence', state: 'done', at, result: { summary: 'captured 3 files' } });
    // An older journal: the done replaced the pending in the one file.
    writeFileSync(
      join(dir, 'run-0--stop-agent.json'),
      JSON.stringify({ key: { ...key, runId: 'run-0' }, action: 'stopService', state: 'done', at, record, result }),
    );
    assert.deepEqual(
      journal.all(key.workflowId).map((e) => [e.key.runId, e.key.stepId, e.state]),
      [
        ['run-0', 'stop-agent', 'done'],
        ['run-1', 'capture', 'done'],
        ['run-1', 'stop-agent', 'done'],
      ],
    );
  });
});
