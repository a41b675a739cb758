import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../../common/paths';
import { Problem } from '../../common/errors';
import { loadRoutes } from '../../intake';
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
