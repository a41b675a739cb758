/** What every sender's payload is read into: one delivery about one alert group. */
import type { z } from 'zod';
import { formatIssues } from '../../contract';
import { IntakeError } from '../errors';

export const SOURCE_NAMES = ['alertmanager', 'grafana', 'pagerduty', 'generic'] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

export function isSourceName(name: string): name is SourceName {
  return (SOURCE_NAMES as readonly string[]).includes(name);
}

/** One alert of the group, as the routes file sees it: `labels.<name>` and `annotations.<name>`. */
export interface AlertView {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface Delivery {
  source: SourceName;
  status: 'firing' | 'resolved';
  /** The sender's stable key for the group: one incident per key. */
  key: string;
  /** One line for the timeline, e.g. `[firing:2] KeyLeak: API key in gateway logs`. */
  summary: string;
  /** At least one. */
  alerts: AlertView[];
}

export type ReadResult =
  | { kind: 'alert'; delivery: Delivery }
  /** A valid payload that is not about an alert firing or resolving (a PagerDuty acknowledgement, a ping). */
  | { kind: 'ignored'; reason: string };

export interface AlertSource {
  name: SourceName;
  /** Read parsed JSON; a payload of the wrong shape throws `InvalidPayload` naming every bad field. */
  read(json: unknown): ReadResult;
}

export function parsePayload<S extends z.ZodType>(schema: S, json: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new IntakeError('InvalidPayload', `not ${what}: ${formatIssues(parsed.error).join('; ')}`);
  return parsed.data;
}

export const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
