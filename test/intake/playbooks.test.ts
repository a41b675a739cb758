import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../../common/paths';
import { Problem } from '../../common/errors';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { buildIntakeServer, loadRoutes } from '../../intake';
import { fixture, intakeConfig, SECRETS } from '../helpers/intake';
import { playbookResolver } from '../../intake/playbooks';
import { tempDir } from '../helpers/activity';

const inventoryFile = join(PROJECT_ROOT, 'examples', 'tourniquet.yaml');
const options = { inventoryFile, playbooksDir: undefined, home: '/var/lib/tourniquet' };

describe('intake: routes to playbooks (the default resolver)', () => {
  it('checks the example routes against the built-in playbooks and the inventory, and compiles a request', async () => {
    const routes = loadRoutes(join(PROJECT_ROOT, 'examples', 'intake', 'playbook-routes.yaml'));
    const resolve = playbookResolver(options, routes);
    const input = await resolve({
      playbook: 'service-outage',
      severity: 'S1',
      targets: ['agent-gateway'],
      params: { service: 'agent-gateway', check: 'gateway-health' },
      title: 'GatewayDown',
    });
    assert.equal(input.playbook?.name, 'service-outage');
    assert.equal(input.severity, 'S1');
    assert.equal(input.title, 'GatewayDown');
    const stop = input.steps.find((s) => s.action === 'stopService')!;
    // The example inventory says how the gateway runs and how to tell it is down: all of it reaches the step.
    const manager = {
      kind: 'process',
      pidfile: '/run/agent/gateway.pid',
      command: ['/usr/bin/node', '/srv/agent/gateway.js', '--port', '8080'],
      cwd: '/srv/agent',
      envFile: '/etc/agent/gateway.env',
      logFile: '/var/log/agent/gateway.log',
      probe: { port: 8080 },
    };
    assert.deepEqual(stop.args, { service: 'agent-gateway', manager, graceMs: 5000 });
  });

  it('an alert value that is not an inventory entry is refused (422), never turned into a target', async () => {
    const routes = loadRoutes(join(PROJECT_ROOT, 'examples', 'intake', 'playbook-routes.yaml'));
    const resolve = playbookResolver(options, routes);
    await assert.rejects(
      resolve({ playbook: 'service-outage', severity: 'S2', targets: [], params: { service: 'sshd', check: 'gateway-health' }, title: 'x' }),
      (e: Problem) => e.kind === 'InvalidInput' && /"sshd" is not a service in the inventory/.test(e.message),
    );
  });

  it('refuses to start when a route and its playbook disagree, saying how', () => {
    const file = join(tempDir('tourniquet-routes-'), 'routes.yaml');
    writeFileSync(
      file,
      `routes:
  - name: leak
    match: { labels.alertname: Leak }
    playbook: secret-exposure
    severity: S1
    params:
      service: agent-gateway
      color: blue
  - name: ghost
    match: { labels.alertname: Ghost }
    playbook: no-such-playbook
    severity: S2
`,
    );
    assert.throws(
      () => playbookResolver(options, loadRoutes(file)),
      (e: Problem) =>
        e.kind === 'InvalidInput' &&
        /route "leak": playbook secret-exposure has no parameter color/.test(e.message) &&
        /route "leak": playbook secret-exposure needs credential, check/.test(e.message) &&
        /route "ghost": no playbook "no-such-playbook"/.test(e.message),
    );
  });
});

describe('intake: an alert whose values make no valid incident', () => {
  it('is answered 422 naming the route, the playbook and the alert values, without file paths or the inventory names; the log has the details', async () => {
    const file = join(tempDir('tourniquet-routes-'), 'routes.yaml');
    // A free-text parameter (no allowlist): only the compiler can tell the alert named no inventory entry.
    writeFileSync(
      file,
      `routes:
  - name: any-service-down
    match: { labels.alertname: ServiceDown }
    playbook: service-outage
    severity: S2
    params:
      service: { from: labels.service, type: string }
      check: gateway-health
`,
    );
    const routes = loadRoutes(file);
    const logged: Record<string, unknown>[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) });
    const { app } = buildIntakeServer({
      config: intakeConfig(),
      routes,
      resolve: playbookResolver(options, routes),
      deliver: async () => assert.fail('nothing may be delivered'),
      logger,
      bodyLimit: 64 * 1024,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const address = app.server.address() as AddressInfo;
      const alert = { status: 'firing', labels: { alertname: 'ServiceDown', service: 'sshd' }, startsAt: '2026-11-22T03:10:02.118Z', fingerprint: 'f00d' };
      const res = await fetch(`http://127.0.0.1:${address.port}/alerts/alertmanager`, {
        method: 'POST',
        body: JSON.stringify({ ...fixture('alertmanager-firing'), alerts: [alert] }),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRETS.amToken}` },
      });
      assert.equal(res.status, 422);
      const { error } = (await res.json()) as { error: { kind: string; message: string } };
      assert.equal(error.kind, 'InvalidIncident');
      assert.equal(
        error.message,
        `route "any-service-down": the alert's values (service="sshd", check="gateway-health") do not make a valid incident of playbook "service-outage"; the intake's log says why`,
      );
      const inventoryNames = ['agent-gateway', 'memory-ingest', 'digest-timer', 'browser-lane'];
      assert.ok(!error.message.includes('/'), 'no file path');
      for (const name of inventoryNames) assert.ok(!error.message.includes(name), `no inventory name (${name})`);
      const detail = logged.find((l) => l.msg === 'alert values make no valid incident');
      assert.match(String(detail?.detail), /"sshd" is not a service in the inventory \(services: agent-gateway/);
    } finally {
      await app.close();
    }
  });
});
