/**
 * PagerDuty v3 webhooks (webhook subscriptions): one event per POST, `{"event": {...}}`, see
 * PagerDuty's developer docs "Webhooks Overview" (docs/webhooks/01-Overview.md in
 * PagerDuty/developer-docs: `event.event_type`, `event.data` of type `incident`).
 *
 * `incident.triggered` and `incident.reopened` fire, `incident.resolved` resolves; the key is
 * the PagerDuty incident id. Every other event (acknowledged, annotated, escalated, service
 * changes, the subscription's test ping) is answered and ignored.
 */
import { z } from 'zod';
import { clip, parsePayload, type AlertSource } from './types';

const reference = z.object({ id: z.string(), summary: z.string().optional() });

const envelope = z.object({
  event: z.object({
    id: z.string(),
    event_type: z.string().min(1),
    resource_type: z.string().optional(),
    occurred_at: z.string().optional(),
    data: z.unknown(),
  }),
});

const incident = z.object({
  id: z.string().min(1),
  type: z.literal('incident'),
  number: z.number().int().optional(),
  title: z.string().default(''),
  status: z.string().optional(),
  urgency: z.string().optional(),
  html_url: z.string().optional(),
  service: reference.optional(),
  priority: reference.nullable().optional(),
});

const STATUS_OF: Record<string, 'firing' | 'resolved'> = {
  'incident.triggered': 'firing',
  'incident.reopened': 'firing',
  'incident.resolved': 'resolved',
};

export const pagerduty: AlertSource = {
  name: 'pagerduty',
  read(json) {
    const { event } = parsePayload(envelope, json, 'a PagerDuty v3 webhook payload');
    const status = STATUS_OF[event.event_type];
    if (!status)
      return {
        kind: 'ignored',
        reason: `PagerDuty event ${event.event_type} neither starts nor resolves an incident (incident.triggered, incident.reopened and incident.resolved do)`,
      };
    const data = parsePayload(incident, event.data, `the incident of a PagerDuty ${event.event_type} event (event.data)`);
    const labels: Record<string, string> = { event_type: event.event_type, incident_id: data.id };
    if (data.number !== undefined) labels.incident_number = String(data.number);
    if (data.status) labels.status = data.status;
    if (data.urgency) labels.urgency = data.urgency;
    if (data.service) labels.service_id = data.service.id;
    if (data.service?.summary) labels.service = data.service.summary;
    if (data.priority?.summary) labels.priority = data.priority.summary;
    const annotations: Record<string, string> = { summary: data.title };
    if (data.html_url) annotations.html_url = data.html_url;
    const service = data.service?.summary ? ` (${data.service.summary})` : '';
    return {
      kind: 'alert',
      delivery: {
        source: 'pagerduty',
        status,
        key: data.id,
        summary: clip(`[${event.event_type.replace('incident.', '')}] ${data.number !== undefined ? `#${data.number} ` : ''}${data.title}${service}`, 500),
        alerts: [{ labels, annotations }],
      },
    };
  },
};
