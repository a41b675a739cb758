/**
 * Routing and incident templates: which alert starts what, and the boundary that keeps alert
 * text out of commands and paths.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Problem } from '../../common/errors';
import { parseIncident } from '../../client/incidents';
import { buildRequest, IntakeError, loadRoutes, matchRoute, routesFileSchema, SOURCES, templateResolver, type Delivery, type Route } from '../../intake';
import { tempDir } from '../helpers/activity';
import { fixture } from '../helpers/intake';

const EXAMPLES = new URL('../../examples/intake/', import.meta.url).pathname;

function routes(yamlish: unknown): Route[] {
  return routesFileSchema.parse(yamlish).routes;
}

function delivery(labels: Record<string, string>, annotations: Record<string, string> = {}): Delivery {
  return { source: 'generic', status: 'firing', key: 'k', summary: 'something broke', alerts: [{ labels, annotations }] };
}

/** `detail` is what only the intake's log gets: the route's allowlist or its own pattern. */
const refusedParam = (fn: () => unknown, pattern: RegExp, detail?: RegExp) =>
  assert.throws(
    fn,
    (e: unknown) =>
      e instanceof IntakeError &&
      e.kind === 'InvalidParameter' &&
      e.status === 422 &&
      pattern.test(e.message) &&
      (detail ? detail.test(e.detail ?? '') : e.detail === undefined),
  );

describe('routes', () => {
  it('loads the example routes and they match the example alerts', () => {
    const r = loadRoutes(join(EXAMPLES, 'routes.yaml'));
    assert.deepEqual(
      r.map((x) => x.name),
      ['gateway-key-leak', 'service-down'],
    );
    const am = SOURCES.alertmanager.read(fixture('alertmanager-firing'));
    assert.equal(am.kind, 'alert');
    const d = (am as { delivery: Delivery }).delivery;
    const m = matchRoute(r, d)!;
    assert.equal(m.route.name, 'gateway-key-leak');
    assert.deepEqual(buildRequest(m, d), {
      playbook: 'secret-exposure',
      severity: 'S1',
      targets: ['gateway', 'AGENT_API_KEY'],
      params: { service: 'gateway' },
      title: '[firing:2] SecretInLogs: API key pattern found in the gateway log',
    });
    const g = (SOURCES.grafana.read(fixture('grafana-firing')) as { delivery: Delivery }).delivery;
    const gm = matchRoute(r, g)!;
    assert.equal(gm.route.name, 'service-down');
    assert.deepEqual(buildRequest(gm, g), {
      playbook: 'service-outage',
      severity: 'S1',
      targets: ['gateway'],
      params: { unit: 'agent-gateway.service', expectStatus: 200 },
      title: '[firing:1] GatewayDown: gateway /health failing for 2m',
    });
  });

  it('reports every bad field of a routes file with its line', () => {
    const dir = tempDir('tourniquet-routes-');
    const file = join(dir, 'routes.yaml');
    writeFileSync(
      file,
      [
        'routes:',
        '  - name: ok',
        '    playbook: p',
        '    severity: S1',
        '  - name: Bad Name',
        '    playbook: ../../etc/passwd',
        '    severity: S9',
        '    match:',
        '      labels.x: { regex: "(" }',
        '    params:',
        '      cmd: { from: labels.cmd, type: shell }',
      ].join('\n'),
    );
    assert.throws(
      () => loadRoutes(file),
      (e: Problem) => {
        assert.equal(e.kind, 'InvalidInput');
        const lines = e.message
          .split('\n')
          .slice(1)
          .map((l) => l.trim());
        const expect = [
          [5, 'routes.1.name: lower-case letters'],
          [6, 'routes.1.playbook: lower-case letters'],
          [7, 'routes.1.severity: '],
          [9, 'routes.1.match.labels.x.regex: not a valid regular expression'],
          [11, 'routes.1.params.cmd.type: a parameter from the alert needs type: string, integer, number or boolean'],
        ] as const;
        assert.deepEqual(
          lines.map((l) => Number(l.slice(file.length + 1).split(':')[0])),
          [5, 6, 7, 9, 11],
          'in line order',
        );
        for (const [line, text] of expect)
          assert.ok(
            lines.some((l) => l.startsWith(`${file}:${line}: ${text}`)),
            `no "${line}: ${text}" in\n${e.message}`,
          );
        return true;
      },
    );
    writeFileSync(file, 'routes:\n  - { name: a, playbook: p, severity: S1 }\n  - { name: a, playbook: q, severity: S2 }\n');
    assert.throws(
      () => loadRoutes(file),
      (e: Problem) => e.message.includes(`${file}:3: routes.1.name: duplicate route name "a"`),
    );
    writeFileSync(file, 'routes:\n  - name: a\n   playbook: b\n');
    assert.throws(
      () => loadRoutes(file),
      (e: Problem) => e.message.startsWith(`${file}:3:`),
    );
  });

  it('matches exact values, regexes (whole value), lists and presence; the first route wins', () => {
    const r = routes({
      routes: [
        { name: 'exact', match: { 'labels.alertname': 'KeyLeak', 'labels.env': { in: ['prod', 'staging'] } }, playbook: 'a', severity: 'S1' },
        { name: 'regex', match: { 'labels.alertname': { regex: 'Key.*' } }, playbook: 'b', severity: 'S2' },
        { name: 'absent', sources: ['alertmanager'], match: { 'labels.env': { exists: false } }, playbook: 'c', severity: 'S3' },
        { name: 'catch-all', playbook: 'd', severity: 'S3' },
      ],
    });
    const name = (labels: Record<string, string>) => matchRoute(r, delivery(labels))!.route.name;
    assert.equal(name({ alertname: 'KeyLeak', env: 'prod' }), 'exact');
    assert.equal(name({ alertname: 'KeyLeak', env: 'dev' }), 'regex');
    assert.equal(name({ alertname: 'AKeyLeak' }), 'catch-all', 'regexes are anchored; the alertmanager-only route is skipped');
    assert.equal(matchRoute(r.slice(0, 3), delivery({ alertname: 'Other', env: 'x' })), undefined);
    assert.equal(name({ alertname: 'x', constructor: 'y' }), 'catch-all');
  });

  it('types parameters from alert fields, and refuses values that do not fit', () => {
    const [route] = routes({
      routes: [
        {
          name: 'r',
          playbook: 'p',
          severity: { from: 'labels.severity', map: { critical: 'S1', warning: 'S2' } },
          targets: ['gateway', { from: 'labels.service', oneOf: ['gateway', 'mailer'] }],
          params: {
            service: { from: 'labels.service', type: 'string' },
            unit: { from: 'labels.unit', type: 'string', pattern: '[a-z-]+\\.service' },
            port: { from: 'labels.port', type: 'integer', min: 1, max: 65535, default: 8080 },
            ratio: { from: 'annotations.ratio', type: 'number', max: 1 },
            dry: { from: 'labels.dry', type: 'boolean', default: false },
            graceMs: 5000,
          },
        },
      ],
    });
    const req = (labels: Record<string, string>, annotations = { ratio: '0.5' }) =>
      buildRequest({ route: route!, alert: { labels, annotations } }, delivery(labels));
    const good = { severity: 'critical', service: 'mailer', unit: 'mailer.service' };
    assert.deepEqual(req(good), {
      playbook: 'p',
      severity: 'S1',
      targets: ['gateway', 'mailer'],
      params: { service: 'mailer', unit: 'mailer.service', port: 8080, ratio: 0.5, dry: false, graceMs: 5000 },
      title: 'something broke',
    });
    assert.equal(req({ ...good, port: '9090', dry: 'true' }).params.port, 9090);
    // Alert text is never a command or a path: the default pattern refuses spaces, slashes, leading dashes.
    refusedParam(
      () => req({ ...good, service: 'gateway; rm -rf /' }),
      /parameter "service" \(string, from labels\.service\): "gateway; rm -rf \/" does not match/,
    );
    refusedParam(() => req({ ...good, service: '../etc' }), /does not match/);
    refusedParam(() => req({ ...good, service: '--force' }), /does not match/);
    refusedParam(
      () => req({ ...good, unit: 'x.service\n' }),
      /"x\.service\\n" does not match the route's pattern \(the intake's log shows it\)$/,
      /pattern \^\(\?:\[a-z-\]\+\\\.service\)\$/,
    );
    refusedParam(() => req({ ...good, port: '80; true' }), /"80; true" is not an integer/);
    refusedParam(() => req({ ...good, port: '70000' }), /70000 is outside 1\.\.65535/);
    refusedParam(() => req(good, { ratio: '1e3' }), /is not a number/);
    refusedParam(() => req({ ...good, dry: 'yes' }), /is not true or false/);
    refusedParam(() => req({ severity: 'critical', unit: 'a.service' }), /the alert has no labels\.service/);
    // The allowlist holds inventory names: the answer does not list them, the log does.
    refusedParam(
      () => req({ ...good, service: 'db' }),
      /target from labels\.service: "db" is not one of the route's allowed values \(the intake's log lists them\)$/,
      /target from labels\.service: allowed: gateway, mailer$/,
    );
    refusedParam(() => req({ ...good, severity: 'info' }), /severity from labels\.severity: "info" is not in the map/);
  });
});

describe('incident templates', () => {
  function templates(files: Record<string, string>) {
    const dir = tempDir('tourniquet-templates-');
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return { dir, load: () => templateResolver(dir) };
  }
  const head = 'class: service-outage\nseverity: S2\ntitle: t\nsteps:\n';

  it('fills whole-value placeholders with typed values, and the result is a valid incident', async () => {
    const t = templateResolver(join(EXAMPLES, 'templates'));
    assert.deepEqual(t.playbooks, ['secret-exposure', 'service-outage']);
    assert.deepEqual(t.parametersOf('service-outage'), ['unit', 'expectStatus']);
    const draft = await t.resolve({
      playbook: 'service-outage',
      severity: 'S1',
      targets: ['gateway'],
      params: { unit: 'gateway.service', expectStatus: 204 },
      title: 'GatewayDown',
    });
    const input = parseIncident(draft);
    assert.equal(input.severity, 'S1');
    assert.equal(input.title, 'GatewayDown');
    assert.deepEqual(input.targets, ['gateway']);
    assert.deepEqual(input.steps[1]!.args, { argv: ['systemctl', 'restart', 'gateway.service'], expectExitCode: 0, rerunIfInterrupted: false });
    assert.equal((input.steps[2]!.args as { expectStatus: number }).expectStatus, 204);
    // The template itself is untouched by a resolve.
    const again = await t.resolve({ playbook: 'service-outage', severity: 'S2', targets: [], params: { unit: 'b.service', expectStatus: 200 }, title: 'x' });
    assert.deepEqual((again.steps[1]!.args as { argv: string[] }).argv, ['systemctl', 'restart', 'b.service']);
    // A value of the wrong type is caught by the incident schema.
    await assert.rejects(
      t.resolve({ playbook: 'service-outage', severity: 'S2', targets: [], params: { unit: 'b.service', expectStatus: 'ok' }, title: 'x' }),
      /steps\.2\.args\.expectStatus/,
    );
    await assert.rejects(t.resolve({ playbook: 'nope', severity: 'S2', targets: [], params: {}, title: 'x' }), /no incident template "nope"/);
  });

  it('refuses placeholders in programs, paths and URLs, and partial placeholders', () => {
    const { load } = templates({
      'bad.yaml':
        head +
        [
          '  - { id: a, action: runCommand, args: { argv: ["{{program}}", "x"] } }',
          '  - { id: b, action: stopService, args: { service: s, pidfile: "{{pidfile}}" } }',
          '  - { id: c, action: smokeTest, args: { url: "{{url}}" } }',
          '  - { id: d, action: runCommand, args: { argv: [echo, "--unit={{unit}}"] } }',
          '  - { id: e, action: captureEvidence, args: { files: ["{{file}}"] } }',
          '  - { id: "{{id}}", action: runCommand, args: { argv: [true] } }',
        ].join('\n'),
    });
    assert.throws(load, (e: Problem) => {
      const lines = e.message
        .split('\n')
        .slice(1)
        .map((l) => l.trim());
      for (const [line, field, why] of [
        [5, 'steps.0.args.argv.0', 'cannot fill this field'],
        [6, 'steps.1.args.pidfile', 'cannot fill this field'],
        [7, 'steps.2.args.url', 'cannot fill this field'],
        [8, 'steps.3.args.argv.1', 'must be the whole value'],
        [9, 'steps.4.args.files.0', 'cannot fill this field'],
        [10, 'steps.5.id', 'cannot fill this field'],
      ] as const) {
        assert.ok(
          lines.some((l) => l.includes(`:${line}: ${field}: `) && l.includes(why)),
          `no ${line} ${field} in\n${e.message}`,
        );
      }
      return true;
    });
  });

  it('checks everything but the placeholders at load time', () => {
    const { load } = templates({ 'p.yaml': head + '  - { id: a, action: stopService, args: { service: "{{svc}}", graceMs: "{{grace}}" } }\n' });
    // The service has neither a manager nor a legacy pidfile: that is reported; the placeholders are not.
    assert.throws(load, (e: Problem) => /steps\.0\.args\.manager/.test(e.message) && !/service|graceMs/.test(e.message));
  });
});
