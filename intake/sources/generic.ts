/**
 * tourniquet's own JSON shape, for scripts, cron jobs and anything without a native format.
 * The README documents it; the schema below is the definition.
 *
 * ```json
 * {"dedupKey": "gateway-key-leak", "status": "firing", "summary": "API key in gateway logs",
 *  "labels": {"alertname": "KeyLeak", "service": "gateway"}, "annotations": {"runbook": "..."}}
 * ```
 */
import { z } from 'zod';
import { parsePayload, type AlertSource } from './types';

export const genericPayload = z
  .object({
    /** One incident per key while it runs: repeats and the resolution go to it. */
    dedupKey: z.string().min(1).max(200),
    status: z.enum(['firing', 'resolved']).default('firing'),
    summary: z.string().min(1).max(500),
    labels: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'label names are letters, digits and _'), z.string().max(1024)).default({}),
    annotations: z.record(z.string().max(64), z.string().max(4096)).default({}),
  })
  // Our own format: a misspelt field is an error, not silently dropped.
  .strict();
export type GenericPayload = z.input<typeof genericPayload>;

export const generic: AlertSource = {
  name: 'generic',
  read(json) {
    const p = parsePayload(genericPayload, json, 'a generic alert ({"dedupKey", "status", "summary", "labels", "annotations"})');
    return {
      kind: 'alert',
      delivery: {
        source: 'generic',
        status: p.status,
        key: p.dedupKey,
        summary: p.summary,
        alerts: [{ labels: p.labels, annotations: { summary: p.summary, ...p.annotations } }],
      },
    };
  },
};
