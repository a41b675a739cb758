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

it('with a gap: the first repeat goes at once, later ones wait out the gap and go together, each answered when its batch is', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let clock = 0;
  const advance = async (ms: number) => {
    clock += ms;
    t.mock.timers.tick(ms);
    await new Promise((r) => setImmediate(r));
  };
  const sent: string[][] = [];
  const acks: (() => void)[] = [];
  // The sender acknowledges a batch only when the test says so.
  const send = (id: string, notices: AlertNotice[]) =>
    new Promise<void>((ack) => {
      sent.push([id, ...notices.map((n) => n.summary)]);
      acks.push(ack);
    });
  const c = new RepeatCoalescer(send, 100, 500, () => clock);
  const notAlone = () => Promise.reject(new Error('not alone'));

  assert.equal(await c.repeat('inc', notice(0), async () => 'alone'), 'alone', 'the first of a quiet incident goes at once');
  const answered: number[] = [];
  const queued = [1, 2].map((n) => c.repeat('inc', notice(n), notAlone).then(() => answered.push(n)));
  await advance(499);
  assert.deepEqual(sent, [], 'held during the gap');
  await advance(1);
  assert.deepEqual(sent, [['inc', 'n1', 'n2']], 'sent together when the gap is over');
  assert.deepEqual(answered, [], 'not answered before the server acknowledges');
  acks.shift()!();
  await Promise.all(queued);
  assert.deepEqual(answered, [1, 2]);

  const later = c.repeat('inc', notice(3), notAlone);
  await advance(499);
  assert.equal(sent.length, 1, 'the gap counts from the last batch');
  await advance(1);
  assert.deepEqual(sent[1], ['inc', 'n3']);
  acks.shift()!();
  await later;
  await advance(500);
  assert.equal(await c.repeat('inc', notice(4), async () => 'alone again'), 'alone again', 'quiet for a gap: the lane closes');
});
