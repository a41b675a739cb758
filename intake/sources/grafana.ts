/**
 * Grafana Alerting's webhook contact point. Its body is Alertmanager's group shape plus
 * `orgId` and a `fingerprint` per alert ("version": "1"); see Grafana's "Configure webhook
 * notifications" page (grafana.com/docs/grafana/latest/alerting/configure-notifications/
 * manage-contact-points/integrations/webhook-notifier/, "Webhook JSON payload").
 */
import { z } from 'zod';
import { alertGroup, alertViews, groupSummary } from './alertmanager';
import { IntakeError } from '../errors';
import { parsePayload, type AlertSource } from './types';

export const grafanaPayload = alertGroup.extend({
  version: z.string(),
  orgId: z.number().int().optional(),
});

export const grafana: AlertSource = {
  name: 'grafana',
  read(json) {
    const group = parsePayload(grafanaPayload, json, 'a Grafana webhook payload');
    // The group key identifies the notification group; without one (older versions, tests from
    // the contact point page) the first alert's label fingerprint is the next stable key.
    const groupKey = group.groupKey || group.alerts[0]!.fingerprint;
    if (!groupKey) throw new IntakeError('InvalidPayload', 'not a Grafana webhook payload: no groupKey and no alert fingerprint to deduplicate on');
    return {
      kind: 'alert',
      delivery: { source: 'grafana', status: group.status, key: `${group.orgId ?? 1}/${groupKey}`, summary: groupSummary(group), alerts: alertViews(group) },
    };
  },
};
