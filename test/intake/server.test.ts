/**
 * The intake over real HTTP: every bad input gets a 4xx with a reason and starts nothing, the
 * server keeps serving, and an unreachable Temporal is a 503 so the sender retries.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { freePort } from '../../common/probe';
import { buildIntakeServer, routesFileSchema, temporalDelivery, type DeliverAlert, type Delivery, type IncidentRequest, type ServerDeps } from '../../intake';
import { parseIncident } from '../../client/incidents';
import { fixture, fixtureBytes, hmacHex, intakeConfig, SECRETS } from '../helpers/intake';
import { quietLogger } from '../helpers/temporal';

const routes = routesFileSchema.parse({
  routes: [
    {
      name: 'key-leak',
      match: { 'labels.alertname': 'SecretInLogs' },
      playbook: 'secret-exposure',
      severity: 'S1',
      params: { service: { from: 'labels.service', type: 'string', values: ['gateway', 'mailer'] } },
    },
    { name: 'runaway', sources: ['generic'], match: { 'labels.alertname': 'RunawayCron' }, playbook: 'runaway', severity: 'S2' },
    { name: 'triggered', sources: ['pagerduty'], playbook: 'outage', severity: 'S2' },
  ],
}).routes;

const draft = parseIncident({ class: 'service-outage', severity: 'S2', title: 't', steps: [{ id: 'a', action: 'runCommand', args: { argv: ['true'] } }] });

const resolved: IncidentRequest[] = [];
const delivered: Delivery[] = [];
const fakeDeliver: DeliverAlert = async (_draft, delivery) => {
  delivered.push(delivery);
  return { incidentId: `inc-service-outage-${delivered.length}`, class: 'service-outage', outcome: 'started' };
};

const BODY_LIMIT = 8 * 1024;

function deps(over: Partial<ServerDeps> = {}): ServerDeps {
  return {
    config: intakeConfig(),
    routes,
    resolve: async (r) => (resolved.push(r), draft),
    deliver: fakeDeliver,
    logger: quietLogger,
    bodyLimit: BODY_LIMIT,
    ...over,
  };
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const a = app.server.address();
  return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
}

let app: FastifyInstance;
let url: string;

/** The intake's warnings: what a refusal keeps from the sender must reach the operator here. */
const warned: Record<string, unknown>[] = [];
const capturing = pino({ level: 'warn' }, { write: (line: string) => void warned.push(JSON.parse(line) as Record<string, unknown>) });

before(async () => {
  ({ app } = buildIntakeServer(deps({ logger: capturing })));
  url = await listen(app);
});
after(() => app.close());

interface Posted {
  status: number;
  body: { error?: { kind: string; message: string }; matched?: boolean; reason?: string; incidentId?: string; outcome?: string };
}

async function post(path: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Posted> {
  const res = await fetch(`${url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  return { status: res.status, body: (await res.json()) as Posted['body'] };
}

const am = (body: string | Buffer, token = SECRETS.amToken) => post('/alerts/alertmanager', body, { authorization: `Bearer ${token}` });
const signedGeneric = (body: string) => post('/alerts/generic', body, { 'x-signature-256': `sha256=${hmacHex(SECRETS.genericHmac, body)}` });

function refused(r: Posted, status: number, kind: string, message: RegExp): void {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.error?.kind, kind);
  assert.match(r.body.error!.message, message);
}

describe('intake HTTP: bad input', () => {
  it('answers every bad delivery with a 4xx and a reason, starting nothing', async () => {
    const good = fixtureBytes('alertmanager-firing');
    refused(await post('/alerts/nagios', good), 404, 'UnknownSource', /no sender "nagios": POST to \/alerts\/alertmanager, \/alerts\/grafana/);
    refused(await post('/alerts/alertmanager', good), 401, 'Unauthorized', /missing credentials for alertmanager/);
    refused(await am(good, 'wrong-token-0123456789'), 401, 'Unauthorized', /bearer token does not match/);
    refused(
      await post('/alerts/grafana', fixtureBytes('grafana-firing'), {
        'x-grafana-alerting-signature': hmacHex('not-the-secret-0123456789', fixtureBytes('grafana-firing')),
      }),
      401,
      'Unauthorized',
      /does not match the body/,
    );
    refused(await post('/alerts/pagerduty', fixtureBytes('pagerduty-triggered')), 401, 'Unauthorized', /send X-PagerDuty-Signature/);
    refused(await am('{"receiver": "tourniquet", "status": '), 400, 'MalformedJson', /the body is not JSON/);
    refused(await am(''), 400, 'MalformedJson', /not JSON/);
    refused(
      await am(JSON.stringify({ ...fixture('alertmanager-firing'), version: '3', alerts: 'many' })),
      400,
      'InvalidPayload',
      /alerts: .*; version: only webhook payload version "4"/,
    );
    refused(await signedGeneric(JSON.stringify({ dedupKey: 42, summary: 'x' })), 400, 'InvalidPayload', /dedupKey: /);
    refused(await am(Buffer.alloc(BODY_LIMIT + 1, ' ')), 413, 'PayloadTooLarge', new RegExp(`larger than the limit of ${BODY_LIMIT} bytes`));
    refused(
      await post('/alerts/alertmanager', good, { 'content-type': 'text/plain', authorization: `Bearer ${SECRETS.amToken}` }),
      415,
      'UnsupportedMediaType',
      /application\/json/,
    );
    refused(
      await am(
        JSON.stringify({
          ...fixture('alertmanager-firing'),
          alerts: [{ status: 'firing', labels: { alertname: 'SecretInLogs', service: 'db; curl evil' }, startsAt: 'x' }],
        }),
      ),
      422,
      'InvalidParameter',
      /route "key-leak": parameter "service" .* "db; curl evil" is not one of the route's allowed values \(the intake's log lists them\)$/,
    );
    const refusal = warned.find((l) => l.kind === 'InvalidParameter');
    assert.match(String(refusal?.detail), /route "key-leak": parameter "service" .*: allowed: gateway, mailer$/);
    const missing = await fetch(`${url}/admin`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as Posted['body']).error?.kind, 'NotFound');
    assert.equal(delivered.length, 0, 'nothing was delivered');
    assert.equal(resolved.length, 0, 'nothing was even resolved');
  });

  it('answers alerts no route matches (202, matched: false) and non-alert events, and logs them', async () => {
    const r = await signedGeneric(JSON.stringify({ dedupKey: 'k', summary: 'disk 91% full', labels: { alertname: 'DiskFull' } }));
    assert.equal(r.status, 202);
    assert.deepEqual(r.body, { matched: false, reason: 'no route matches this generic alert (disk 91% full)' });
    const body = fixtureBytes('pagerduty-annotated');
    const ignored = await post('/alerts/pagerduty', body, { 'x-pagerduty-signature': `v1=${hmacHex(SECRETS.pagerdutyHmac, body)}` });
    assert.equal(ignored.status, 202);
    assert.equal(ignored.body.matched, false);
    assert.match(ignored.body.reason!, /incident\.annotated neither starts nor resolves/);
    assert.equal(delivered.length, 0);
  });

  it('keeps serving: a good delivery after all of that goes through, and the metrics count everything', async () => {
    const r = await am(fixtureBytes('alertmanager-firing'));
    assert.equal(r.status, 202);
    assert.deepEqual(r.body, { matched: true, route: 'key-leak', incidentId: 'inc-service-outage-1', outcome: 'started' });
    assert.equal(delivered.length, 1);
    assert.deepEqual(resolved, [
      {
        playbook: 'secret-exposure',
        severity: 'S1',
        targets: [],
        params: { service: 'gateway' },
        title: '[firing:2] SecretInLogs: API key pattern found in the gateway log',
      },
    ]);
    const health = (await (await fetch(`${url}/healthz`)).json()) as { status: string; sources: string[] };
    assert.deepEqual(health, { status: 'ok', sources: ['alertmanager', 'grafana', 'pagerduty', 'generic'], routes: 3 });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    for (const line of [
      'tourniquet_intake_deliveries_total{source="alertmanager",outcome="unauthorized"} 2',
      'tourniquet_intake_deliveries_total{source="alertmanager",outcome="bad-request"} 4',
      'tourniquet_intake_deliveries_total{source="alertmanager",outcome="too-large"} 1',
      'tourniquet_intake_deliveries_total{source="alertmanager",outcome="invalid-parameter"} 1',
      'tourniquet_intake_deliveries_total{source="alertmanager",outcome="started"} 1',
      'tourniquet_intake_deliveries_total{source="unknown",outcome="unknown-source"} 1',
      'tourniquet_intake_deliveries_total{source="generic",outcome="unmatched"} 1',
      'tourniquet_intake_deliveries_total{source="pagerduty",outcome="ignored"} 1',
      'tourniquet_intake_incidents_started_total{source="alertmanager",class="service-outage"} 1',
      'tourniquet_intake_delivery_duration_seconds_count{source="alertmanager",outcome="started"} 1',
    ]) {
      assert.ok(metrics.includes(line), `metrics lack: ${line}`);
    }
  });

  it('refuses a sender that has no secret configured, even with a valid body', async () => {
    const onlyAm = buildIntakeServer(deps({ config: { ...intakeConfig(), auth: { ...intakeConfig().auth, grafana: { tokens: [], hmacSecrets: [] } } } })).app;
    const r = await onlyAm.inject({
      method: 'POST',
      url: '/alerts/grafana',
      payload: fixtureBytes('grafana-firing'),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(r.statusCode, 404);
    assert.match(
      r.json<Posted['body']>().error!.message,
      /sender "grafana" is not enabled on this intake: set TOURNIQUET_INTAKE_GRAFANA_TOKEN or TOURNIQUET_INTAKE_GRAFANA_HMAC_SECRET/,
    );
    await onlyAm.close();
  });

  it('a template that cannot be read is a 500 (the sender retries once it is fixed)', async () => {
    const broken = buildIntakeServer(deps({ resolve: async () => Promise.reject(new Error('EACCES templates/secret-exposure.yaml')) })).app;
    const r = await broken.inject({
      method: 'POST',
      url: '/alerts/alertmanager',
      payload: fixtureBytes('alertmanager-firing'),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRETS.amToken}` },
    });
    assert.equal(r.statusCode, 500);
    assert.equal(r.json<Posted['body']>().error!.kind, 'ResolveFailed');
    await broken.close();
  });
});

describe('intake HTTP: Temporal unreachable', () => {
  it('answers 503 within the timeout, so the sender retries; nothing is lost or half-started', async () => {
    const port = await freePort(); // nothing listens there
    const client = new Client({ connection: Connection.lazy({ address: `127.0.0.1:${port}` }) });
    const deliver = temporalDelivery(client, { taskQueue: 'q', timeoutMs: 500 });
    const down = buildIntakeServer(deps({ deliver })).app;
    const downUrl = await listen(down);
    try {
      const started = Date.now();
      const res = await fetch(`${downUrl}/alerts/alertmanager`, {
        method: 'POST',
        body: fixtureBytes('alertmanager-firing'),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRETS.amToken}` },
      });
      assert.equal(res.status, 503);
      const body = (await res.json()) as Posted['body'];
      assert.equal(body.error?.kind, 'TemporalUnavailable');
      assert.match(body.error!.message, /did not answer within 500 ms: retry later/);
      assert.ok(Date.now() - started < 4_000, `took ${Date.now() - started} ms`);
      // And it still serves.
      assert.equal((await fetch(`${downUrl}/healthz`)).status, 200);
    } finally {
      await down.close();
      await deliver.drain();
      await client.connection.close();
    }
  });
});

describe('intake HTTP: slow senders', () => {
  it('closes a connection whose request never finishes arriving (headers or body), answering 408', async () => {
    const slow = buildIntakeServer(deps({ timeouts: { headersMs: 300, requestMs: 600 } })).app;
    const slowUrl = new URL(await listen(slow));
    // Half a request, then silence: without the timeouts node would hold it for five minutes.
    const halfSent = (text: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(slowUrl.port), '127.0.0.1', () => socket.write(text));
        let answer = '';
        socket.on('data', (chunk) => (answer += chunk.toString()));
        socket.on('error', reject);
        socket.on('close', () => resolve(answer));
      });
    const resolvedBefore = resolved.length;
    try {
      const headers = await halfSent('POST /alerts/alertmanager HTTP/1.1\r\nHost: intake\r\nContent-Type: application/json\r\n');
      assert.match(headers, /^HTTP\/1\.1 408 /);
      const body = await halfSent(
        `POST /alerts/alertmanager HTTP/1.1\r\nHost: intake\r\nContent-Type: application/json\r\nAuthorization: Bearer ${SECRETS.amToken}\r\nContent-Length: 1000\r\n\r\n{"receiver":`,
      );
      assert.match(body, /^HTTP\/1\.1 408 /);
      assert.equal(resolved.length, resolvedBefore, 'nothing was resolved');
      assert.equal((await fetch(`${slowUrl.origin}/healthz`)).status, 200, 'and it still serves');
    } finally {
      await slow.close();
    }
  });
});
