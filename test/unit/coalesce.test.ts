/** The intake's batching of repeats (intake/coalesce.ts), with a recorded sender. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { AlertNotice } from '../../contract';
import { RepeatCoalescer } from '../../intake/coalesce';

const notice = (n: number): AlertNotice => ({ source: 'generic', status: 'firing', fingerprint: 'k', summary: `n${n}`, receivedAt: new Date(0).toISOString() });

/** A delivery held open until released, so others queue behind it. */
function held() {
  let release!: () => void;
  const done = new Promise<string>((r) => (release = () => r('alone')));
  return { done, release };
}

it('queues repeats behind the one in flight and sends them as batches of at most maxBatch, in order', async () => {
  const sent: string[][] = [];
  const c = new RepeatCoalescer(async (id, notices) => void sent.push([id, ...notices.map((n) => n.summary)]), 3);
  const first = held();
  const alone = c.repeat('inc', notice(0), () => first.done);
  const queued = [1, 2, 3, 4, 5].map((n) => c.repeat('inc', notice(n), () => Promise.reject(new Error('not alone'))));
  const other = await c.repeat('other', notice(9), async () => 'other alone');
  assert.equal(other, 'other alone', 'another incident is not held up');
  assert.deepEqual(sent, [], 'nothing sent while the first is in flight');
  first.release();
  assert.equal(await alone, 'alone');
  assert.deepEqual(await Promise.all(queued), [undefined, undefined, undefined, undefined, undefined]);
  assert.deepEqual(sent, [
    ['inc', 'n1', 'n2', 'n3'],
    ['inc', 'n4', 'n5'],
  ]);
  assert.equal(await c.repeat('inc', notice(6), async () => 'alone again'), 'alone again', 'the lane closes when empty');
});

it('a failed batch fails each of its deliveries with the error, and the next batch still goes', async () => {
  const gone = new Error('incident ended');
  let calls = 0;
  const c = new RepeatCoalescer(async () => {
    calls++;
    if (calls === 1) throw gone;
  }, 2);
  const first = held();
  const alone = c.repeat('inc', notice(0), () => first.done);
  const queued = [1, 2, 3].map((n) =>
    c
      .repeat('inc', notice(n), () => Promise.resolve('x'))
      .then(
        () => 'ok',
        (e: unknown) => e,
      ),
  );
  first.release();
  await alone;
  assert.deepEqual(await Promise.all(queued), [gone, gone, 'ok']);
  assert.equal(calls, 2);
});
