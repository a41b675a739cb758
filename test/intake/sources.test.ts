/** Each sender's documented payload shape, read into a delivery; wrong shapes refused with the field. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IntakeError, SOURCES, type Delivery, type ReadResult } from '../../intake';
import { fixture } from '../helpers/intake';

function delivered(result: ReadResult): Delivery {
  assert.equal(result.kind, 'alert');
  return (result as { delivery: Delivery }).delivery;
}

const invalid = (fn: () => unknown, pattern: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof IntakeError && e.kind === 'InvalidPayload' && pattern.test(e.message));

describe('alert sources', () => {
  it('reads an Alertmanager v4 group: group key, status, every alert', () => {
    const d = delivered(SOURCES.alertmanager.read(fixture('alertmanager-firing')));
    assert.equal(d.status, 'firing');
    assert.equal(d.key, '{}:{alertname="SecretInLogs"}');
    assert.equal(d.summary, '[firing:2] SecretInLogs: API key pattern found in the gateway log');
    assert.deepEqual(
      d.alerts.map((a) => a.labels.service),
      ['gateway', 'mailer'],
    );
    const resolved = delivered(SOURCES.alertmanager.read(fixture('alertmanager-resolved')));
    assert.equal(resolved.status, 'resolved');
    assert.equal(resolved.key, d.key, 'the resolution names the same group');
    assert.match(resolved.summary, /^\[resolved\] SecretInLogs/);
  });

  it('refuses an Alertmanager payload of another version or without a group key', () => {
    invalid(() => SOURCES.alertmanager.read({ ...fixture('alertmanager-firing'), version: '3' }), /version: only webhook payload version "4"/);
    invalid(() => SOURCES.alertmanager.read({ ...fixture('alertmanager-firing'), groupKey: '' }), /groupKey: the group key is the incident key/);
    invalid(() => SOURCES.alertmanager.read({ ...fixture('alertmanager-firing'), alerts: [] }), /alerts: a notification carries at least one alert/);
    invalid(() => SOURCES.alertmanager.read({ ...fixture('alertmanager-firing'), status: 'pending' }), /^not an Alertmanager .*status: /);
  });

  it('reads a Grafana notification: org and group key, common annotations under each alert', () => {
    const d = delivered(SOURCES.grafana.read(fixture('grafana-firing')));
    assert.equal(d.source, 'grafana');
    assert.equal(d.key, '1/{}/{alertname="GatewayDown"}:{alertname="GatewayDown", grafana_folder="agents"}');
    assert.equal(d.alerts[0]!.annotations.runbook_url, 'https://wiki.internal/runbooks/gateway');
    const noGroup = delivered(SOURCES.grafana.read({ ...fixture('grafana-firing'), groupKey: '' }));
    assert.equal(noGroup.key, '1/5e1b7a90c3d2f4e6', 'falls back to the alert fingerprint');
    invalid(() => SOURCES.grafana.read({ ...fixture('grafana-firing'), alerts: [{ status: 'firing' }] }), /alerts\.0\.labels/);
  });

  it('reads PagerDuty v3 incident events and ignores the others', () => {
    const t = delivered(SOURCES.pagerduty.read(fixture('pagerduty-triggered')));
    assert.equal(t.status, 'firing');
    assert.equal(t.key, 'Q2K7ZQ8N1ABCDE');
    assert.equal(t.summary, '[triggered] #1482 Gateway returns 500 on /health (Agent gateway)');
    assert.deepEqual(t.alerts[0]!.labels, {
      event_type: 'incident.triggered',
      incident_id: 'Q2K7ZQ8N1ABCDE',
      incident_number: '1482',
      status: 'triggered',
      urgency: 'high',
      service_id: 'PSVC123',
      service: 'Agent gateway',
      priority: 'P1',
    });
    const r = delivered(SOURCES.pagerduty.read(fixture('pagerduty-resolved')));
    assert.equal(r.status, 'resolved');
    assert.equal(r.key, t.key);
    const note = SOURCES.pagerduty.read(fixture('pagerduty-annotated'));
    assert.equal(note.kind, 'ignored');
    assert.match((note as { reason: string }).reason, /incident\.annotated neither starts nor resolves/);
    invalid(() => SOURCES.pagerduty.read({ messages: [] }), /event: /);
    invalid(() => SOURCES.pagerduty.read({ event: { id: 'x', event_type: 'incident.triggered', data: { type: 'incident' } } }), /event\.data\).*id: /);
  });

  it('reads the generic shape and refuses misspelt fields', () => {
    const d = delivered(SOURCES.generic.read(fixture('generic-firing')));
    assert.deepEqual([d.source, d.status, d.key], ['generic', 'firing', 'cron-mailer-loop']);
    assert.equal(d.alerts[0]!.annotations.summary, 'mailer cron sent 400 identical messages in 10 minutes');
    assert.equal(delivered(SOURCES.generic.read({ dedupKey: 'k', summary: 's' })).status, 'firing', 'status defaults to firing');
    invalid(() => SOURCES.generic.read({ dedupKey: 'k', summary: 's', lables: {} }), /Unrecognized key.*lables/);
    invalid(() => SOURCES.generic.read({ dedupKey: 'k', summary: 's', labels: { port: 8080 } }), /labels\.port: /);
    invalid(() => SOURCES.generic.read({ summary: 's' }), /dedupKey: /);
  });
});
