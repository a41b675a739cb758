/**
 * Prometheus Alertmanager, webhook payload version 4: one POST per alert group.
 * Shape: prometheus.io/docs/alerting/latest/configuration/#webhook_config ("version": "4",
 * "groupKey", "truncatedAlerts", "status", "alerts"[...]). Grafana's webhook sends the same
 * group shape with a few more fields, so grafana.ts builds on `alertGroup` here.
 */
import { z } from 'zod';
import { clip, parsePayload, type AlertSource, type AlertView } from './types';

const stringMap = z.record(z.string(), z.string());
const status = z.enum(['firing', 'resolved']);

const alert = z.object({
  status,
  labels: stringMap,
  annotations: stringMap.default({}),
  startsAt: z.string(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().optional(),
});

/** Fields Alertmanager and Grafana share. Unknown fields are dropped, not refused: senders add fields over time. */
export const alertGroup = z.object({
  receiver: z.string(),
  status,
  alerts: z.array(alert).min(1, 'a notification carries at least one alert'),
  groupLabels: stringMap.default({}),
  commonLabels: stringMap.default({}),
  commonAnnotations: stringMap.default({}),
  externalURL: z.string().default(''),
  groupKey: z.string(),
  truncatedAlerts: z.number().int().min(0).default(0),
});
export type AlertGroup = z.infer<typeof alertGroup>;

export const alertmanagerPayload = alertGroup.extend({
  version: z.literal('4', { error: 'only webhook payload version "4" is understood' }),
  groupKey: z.string().min(1, 'the group key is the incident key: it cannot be empty'),
});

/** Each alert with the group's common annotations under its own. */
export function alertViews(group: AlertGroup): AlertView[] {
  return group.alerts.map((a) => ({ labels: a.labels, annotations: { ...group.commonAnnotations, ...a.annotations } }));
}

/** `[firing:2] KeyLeak: API key in gateway logs` */
export function groupSummary(group: AlertGroup): string {
  const first = group.alerts[0]!;
  const name = group.commonLabels.alertname ?? first.labels.alertname ?? 'alert';
  const text = group.commonAnnotations.summary ?? first.annotations.summary ?? first.annotations.description ?? '';
  const count = group.status === 'firing' ? `:${group.alerts.filter((a) => a.status === 'firing').length}` : '';
  return clip(`[${group.status}${count}] ${name}${text ? `: ${text}` : ''}`, 500);
}

export const alertmanager: AlertSource = {
  name: 'alertmanager',
  read(json) {
    const group = parsePayload(alertmanagerPayload, json, 'an Alertmanager webhook (version 4) payload');
    return {
      kind: 'alert',
      delivery: { source: 'alertmanager', status: group.status, key: group.groupKey, summary: groupSummary(group), alerts: alertViews(group) },
    };
  },
};
