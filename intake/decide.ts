/**
 * The lifecycle decisions of one routed delivery, before and after it reaches Temporal: is it
 * silenced, which key and incident id it counts under, whether `startAfter` holds it, whether
 * it is flapping; afterwards, the record of a re-fire that started nothing. The handler calls
 * these; every decision ends up in the answer, the metrics (its outcome), the log and, when an
 * incident hears of it, the incident's timeline.
 */
import type { Logger } from 'pino';
import { dedupedIncidentId } from '../client/incidents';
import { formatDuration } from '../common/duration';
import type { IncidentInput } from '../contract';
import type { DeliveryOutcome, DeliveryPlan } from './dedupe';
import { groupIncidentId, judgeFiring, lifecycleKeyOf, onRefireFor, type FiringCounter } from './lifecycle';
import type { RouteMatch } from './routes';
import type { SilenceBook } from './silences';
import type { Delivery } from './sources';
import { recordRefire } from './state';

export interface LifecycleDeps {
  /** Silences to honour (absent: none). */
  silences?: SilenceBook;
  /** Firing counts for flapping and `startAfter` (absent: neither applies). */
  firings?: FiringCounter;
  /** Where re-fires recorded on an ended incident go (absent: the log only). */
  stateDir?: string;
}

/** What the sender hears beyond the incident id and outcome. */
export interface LifecycleAnswer {
  /** The silence that matched. */
  silence?: string;
  /** The correlation group the delivery joined: `instance=agent-1`. */
  group?: string;
  /** The incident this delivery's new incident follows up. */
  follows?: string;
  /** Firings within the window so far, when flapping or held. */
  firings?: number;
  flapping?: boolean;
}

/** A silenced delivery: recorded and logged here; the caller answers it. */
export function checkSilenced(deps: LifecycleDeps, logger: Logger, route: string, delivery: Delivery, receivedAt: Date): string | undefined {
  let silence;
  try {
    silence = deps.silences?.match(delivery, receivedAt);
  } catch (err) {
    // A silences file someone broke by hand silences nothing; the delivery goes on.
    logger.error({ err: (err as Error).message }, 'cannot read the silences: this delivery is not checked against them');
    return undefined;
  }
  if (!silence) return undefined;
  const hit = {
    at: receivedAt.toISOString(),
    silence: silence.id,
    source: delivery.source,
    key: delivery.key,
    status: delivery.status,
    summary: delivery.summary,
  };
  deps.silences!.recordHit(hit);
  logger.info({ ...hit, route, reason: silence.reason, until: silence.endsAt }, 'alert silenced');
  return silence.id;
}

/** The delivery's plan on its route, and what the sender is told about it. */
export function planDelivery(
  deps: LifecycleDeps,
  match: RouteMatch,
  delivery: Delivery,
  input: IncidentInput,
  receivedAt: Date,
): { plan: DeliveryPlan; answer: LifecycleAnswer } {
  const lifecycle = match.route.lifecycle;
  const { key, group } = lifecycleKeyOf(lifecycle, match.alert, delivery);
  const notes: string[] = [];
  const answer: LifecycleAnswer = {};
  const plan: DeliveryPlan = {
    key,
    baseId: group ? groupIncidentId(key) : dedupedIncidentId(input, key),
    reopenWithinMs: lifecycle.reopenWithin,
    onRefire: onRefireFor(lifecycle, input.severity),
  };
  if (group) {
    answer.group = group;
    notes.push(`correlated by ${group}`);
  }
  if (delivery.status === 'firing' && deps.firings) {
    const verdict = judgeFiring(deps.firings, lifecycle, key, receivedAt.getTime());
    if (verdict.held) {
      plan.holdUnlessRunning = true;
      answer.firings = verdict.held.count;
      notes.push(`startAfter: ${verdict.held.count} of ${verdict.held.needed} firings within ${formatDuration(verdict.held.withinMs)}`);
    } else if (lifecycle.startAfter && deps.firings.within(key, lifecycle.startAfter.within, receivedAt.getTime()) === lifecycle.startAfter.count) {
      notes.push(`started after ${lifecycle.startAfter.count} firings within ${formatDuration(lifecycle.startAfter.within)}`);
    }
    if (verdict.flapping) {
      plan.raiseSeverity = true;
      answer.flapping = true;
      answer.firings = verdict.flapping.count;
      notes.push(`flapping: ${verdict.flapping.count} firings within ${formatDuration(verdict.flapping.withinMs)}`);
    }
  }
  if (notes.length) plan.note = notes.join('; ');
  return { plan, answer };
}

/** Say what the delivery did; a re-fire that started nothing is recorded on the ended incident's record. */
export function reportDelivery(
  deps: LifecycleDeps,
  logger: Logger,
  attrs: Record<string, unknown>,
  delivery: Delivery,
  plan: DeliveryPlan,
  done: DeliveryOutcome,
  at: Date,
): void {
  const line = {
    ...attrs,
    incidentId: done.incidentId,
    outcome: done.outcome,
    key: plan.key,
    ...(done.follows ? { follows: done.follows } : {}),
    ...(plan.note ? { note: plan.note } : {}),
  };
  if (done.outcome === 'refired' && !done.follows) {
    if (deps.stateDir)
      recordRefire(deps.stateDir, { at: at.toISOString(), incidentId: done.incidentId, key: plan.key, source: delivery.source, summary: delivery.summary });
    logger.warn(line, 'alert re-fired after its incident ended: recorded, nothing started (onRefire: record)');
  } else if (done.outcome === 'refired') logger.warn(line, 'alert re-fired after its incident ended: follow-up incident started');
  else if (done.outcome === 'held') logger.info(line, 'alert held: startAfter needs more firings');
  else logger.info(line, 'alert delivered');
}
