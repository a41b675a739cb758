/**
 * Temporal's floor for the benchmarks: the least a workflow can do per activity on the same
 * server and worker settings. No tourniquet code runs here, so the gap between an incident and
 * this is what tourniquet itself costs.
 */
import { condition, defineSignal, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { floorActivities } from './activities';

const { noop } = proxyActivities<typeof floorActivities>({ startToCloseTimeout: '1m' });
const { stamp } = proxyLocalActivities<typeof floorActivities>({ startToCloseTimeout: '1m' });

/** `steps` no-op activities in sequence; returns each one's end on the workflow clock (ms). */
export async function floor(steps: number): Promise<number[]> {
  const ends: number[] = [];
  for (let i = 0; i < steps; i++) {
    await noop();
    ends.push(Date.now());
  }
  return ends;
}

/** A notice to `listener`: what an alert repeat is to an incident. */
export const noticeSignal = defineSignal<[unknown]>('notice');
export const stopSignal = defineSignal('stop');

/** Counts notices until stopped: Temporal's floor for a signal to an open workflow. */
export async function listener(): Promise<number> {
  let notices = 0;
  let stopped = false;
  setHandler(noticeSignal, () => void notices++);
  setHandler(stopSignal, () => void (stopped = true));
  await condition(() => stopped);
  return notices;
}

/** One local activity in the first workflow task, as an incident's freeze step: Temporal's floor for a burst of new incidents. Returns when that activity ran (worker clock, ms). */
export async function firstStep(): Promise<number> {
  return stamp();
}
