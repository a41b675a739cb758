/**
 * An alert's life on one route: which key its firings count under (the sender's group key, or
 * a correlation group such as the agent's instance), how many fired lately (flapping,
 * `startAfter`), and what a firing does once the key's incident has ended (the reopen window).
 *
 * Firing counts live in the intake's memory: after a restart a flapping alert needs its N
 * firings again before it counts as flapping, and a held alert its `startAfter` firings. That
 * errs on the quiet side, never on starting twice: the incident itself is found in Temporal.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { humanDuration } from '../common/duration';
import type { Severity } from '../contract';
import { clip, type AlertView, type Delivery } from './sources';

const firings = z.object({ count: z.number().int().min(2).max(1000), within: humanDuration }).strict();

/** A label that names what alerts are about: `labels.instance`. */
const groupPath = z.string().regex(/^labels\.[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be labels.<name>');

/**
 * `lifecycle:` of a route. Every field has the default a 3 a.m. operator wants:
 * ```yaml
 * lifecycle:
 *   reopenWithin: 1h          # a firing this soon after its incident ended is a re-fire
 *   onRefire: follow-up       # or record; default follow-up for S1, record otherwise
 *   flapping: { count: 5, within: 10m }   # raise the severity one level, once; false: never
 *   startAfter: { count: 3, within: 5m }  # hold a noisy alert until it fired this often
 *   group: labels.instance    # alerts about one agent join its open incident
 * ```
 */
export const lifecycleSchema = z
  .object({
    reopenWithin: humanDuration.default(3_600_000),
    onRefire: z.enum(['follow-up', 'record']).optional(),
    flapping: z.union([firings, z.literal(false)]).default({ count: 5, within: 600_000 }),
    startAfter: firings.optional(),
    group: groupPath.optional(),
  })
  .strict();
export type Lifecycle = z.infer<typeof lifecycleSchema>;

/** `onRefire` when the route does not say: an S1 that comes back deserves its own incident. */
export const onRefireFor = (lifecycle: Lifecycle, severity: Severity): 'follow-up' | 'record' =>
  lifecycle.onRefire ?? (severity === 'S1' ? 'follow-up' : 'record');

export interface LifecycleKey {
  /** What firings count under and what names the incident. */
  key: string;
  /** `instance=agent-1` when the route correlates by a label and the alert has it. */
  group?: string;
}

/**
 * The key of a delivery on its route: the correlation group when the route names one and the
 * matched alert carries the label (alerts without it keep their own key), else the sender's key.
 */
export function lifecycleKeyOf(lifecycle: Lifecycle, alert: AlertView, delivery: Delivery): LifecycleKey {
  if (lifecycle.group) {
    const label = lifecycle.group.slice('labels.'.length);
    const value = Object.hasOwn(alert.labels, label) ? alert.labels[label] : undefined;
    if (value !== undefined) {
      const group = `${label}=${clip(value, 200)}`;
      return { key: `group:${group}`, group };
    }
  }
  return { key: `${delivery.source}:${delivery.key}` };
}

/**
 * The incident id of a correlation group: no class in it, since whichever alert of the group
 * fires first decides the playbook. Sender keys keep `dedupedIncidentId` (class and hash).
 */
export const groupIncidentId = (key: string): string => `inc-group-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;

/** Firing times per key, newest last, forgetting what no window can need and the least recent keys. */
export class FiringCounter {
  private readonly times = new Map<string, number[]>();
  constructor(
    private readonly keepMs: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Record a firing of the key at `now`. */
  record(key: string, now: number): void {
    const list = (this.times.get(key) ?? []).filter((t) => now - t <= this.keepMs);
    list.push(now);
    // Re-insert so the map's order is least recently fired first.
    this.times.delete(key);
    this.times.set(key, list.slice(-1000));
    if (this.times.size > this.maxKeys) this.times.delete(this.times.keys().next().value!);
  }

  /** Firings of the key within `withinMs` before `now`. */
  within(key: string, withinMs: number, now: number): number {
    return (this.times.get(key) ?? []).filter((t) => now - t <= withinMs).length;
  }
}

/** The longest window any route counts over: the counter keeps nothing older. */
export function longestWindow(lifecycles: Lifecycle[]): number {
  return Math.max(60_000, ...lifecycles.flatMap((l) => [l.flapping ? l.flapping.within : 0, l.startAfter?.within ?? 0]));
}

export interface FiringVerdict {
  /** Held by `startAfter`: fewer firings than it needs, so far. */
  held?: { count: number; needed: number; withinMs: number };
  /** Flapping: enough firings to raise the incident's severity. */
  flapping?: { count: number; withinMs: number };
}

/** Count a firing and say whether `startAfter` holds it and whether the key is flapping. */
export function judgeFiring(counter: FiringCounter, lifecycle: Lifecycle, key: string, now: number): FiringVerdict {
  counter.record(key, now);
  const verdict: FiringVerdict = {};
  if (lifecycle.startAfter) {
    const count = counter.within(key, lifecycle.startAfter.within, now);
    if (count < lifecycle.startAfter.count) verdict.held = { count, needed: lifecycle.startAfter.count, withinMs: lifecycle.startAfter.within };
  }
  if (lifecycle.flapping) {
    const count = counter.within(key, lifecycle.flapping.within, now);
    if (count >= lifecycle.flapping.count) verdict.flapping = { count, withinMs: lifecycle.flapping.within };
  }
  return verdict;
}
