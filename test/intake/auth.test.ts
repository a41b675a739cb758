/** Signatures and tokens: good, bad, rotated, replayed, missing; and the refusal to start open. */
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { Problem } from '../../common/errors';
import { authenticate, IntakeError, loadIntakeConfig, type Headers, type SourceName } from '../../intake';
import { fixtureBytes, hmacHex, intakeConfig, intakeEnv, SECRETS } from '../helpers/intake';

const NOW = 1_795_000_000;
const config = intakeConfig();

function check(source: SourceName, headers: Headers, body: Buffer, o: { now?: number; cfg?: typeof config } = {}): void {
  const cfg = o.cfg ?? config;
  authenticate(source, cfg.auth[source], cfg, { headers, body, now: o.now ?? NOW });
}

const refused = (fn: () => void, pattern: RegExp) =>
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof IntakeError, String(e));
    assert.equal(e.kind, 'Unauthorized');
    assert.equal(e.status, 401);
    assert.match(e.message, pattern);
    return true;
  });

describe('intake authentication', () => {
  const grafana = fixtureBytes('grafana-firing');
  const pd = fixtureBytes('pagerduty-triggered');
  const generic = fixtureBytes('generic-firing');

  it('Grafana: HMAC of the body, or of "<timestamp>:<body>" with the timestamp header', () => {
    check('grafana', { 'x-grafana-alerting-signature': hmacHex(SECRETS.grafanaHmac, grafana) }, grafana);
    const ts = String(NOW - 30);
    check(
      'grafana',
      { 'x-grafana-alerting-signature': hmacHex(SECRETS.grafanaHmac, `${ts}:${grafana.toString()}`), 'x-grafana-alerting-timestamp': ts },
      grafana,
    );
  });

  it('Grafana: a wrong secret, a changed body or a moved timestamp is refused', () => {
    refused(
      () => check('grafana', { 'x-grafana-alerting-signature': hmacHex('wrong-secret-0123456789', grafana) }, grafana),
      /X-Grafana-Alerting-Signature does not match/,
    );
    const tampered = Buffer.from(grafana.toString().replace('"critical"', '"info"'));
    refused(() => check('grafana', { 'x-grafana-alerting-signature': hmacHex(SECRETS.grafanaHmac, grafana) }, tampered), /does not match the body/);
    const ts = String(NOW);
    const sig = hmacHex(SECRETS.grafanaHmac, `${ts}:${grafana.toString()}`);
    refused(
      () => check('grafana', { 'x-grafana-alerting-signature': sig, 'x-grafana-alerting-timestamp': String(NOW + 1) }, grafana),
      /does not match the body and X-Grafana-Alerting-Timestamp/,
    );
    refused(() => check('grafana', { 'x-grafana-alerting-signature': 'not-hex' }, grafana), /does not match/);
  });

  it('a replayed delivery (a signed timestamp outside the window) is refused, either way', () => {
    const old = String(NOW - 301);
    const headers = { 'x-grafana-alerting-signature': hmacHex(SECRETS.grafanaHmac, `${old}:${grafana.toString()}`), 'x-grafana-alerting-timestamp': old };
    refused(() => check('grafana', headers, grafana), /timestamp .* is 301 s away from now, outside the replay window of ±300 s/);
    check('grafana', headers, grafana, { now: NOW - 290 }); // the same request, on time
    const future = String(NOW + 400);
    refused(
      () =>
        check(
          'generic',
          { 'x-signature-256': `sha256=${hmacHex(SECRETS.genericHmac, `${future}:${generic.toString()}`)}`, 'x-signature-timestamp': future },
          generic,
        ),
      /outside the replay window/,
    );
    refused(
      () => check('generic', { 'x-signature-256': 'sha256=00', 'x-signature-timestamp': 'yesterday' }, generic),
      /X-Signature-Timestamp must be Unix seconds/,
    );
  });

  it('with TOURNIQUET_INTAKE_REQUIRE_TIMESTAMP a signature without a timestamp is refused', () => {
    const strict = intakeConfig({ TOURNIQUET_INTAKE_REQUIRE_TIMESTAMP: 'true' });
    refused(
      () => check('grafana', { 'x-grafana-alerting-signature': hmacHex(SECRETS.grafanaHmac, grafana) }, grafana, { cfg: strict }),
      /a signed timestamp is required/,
    );
  });

  it('PagerDuty: any v1 signature of any configured secret passes (rotation on either side)', () => {
    const current = hmacHex(SECRETS.pagerdutyHmac, pd);
    const old = hmacHex(SECRETS.pagerdutyOld, pd);
    const stranger = hmacHex('someone-else-0123456789abcdef', pd);
    check('pagerduty', { 'x-pagerduty-signature': `v1=${current}` }, pd);
    check('pagerduty', { 'x-pagerduty-signature': `v1=${stranger},v1=${current}` }, pd, {});
    check('pagerduty', { 'x-pagerduty-signature': `v1=${old}` }, pd);
    check('pagerduty', { 'x-pagerduty-signature': `v0=${stranger}, v1=${old}` }, pd);
    refused(() => check('pagerduty', { 'x-pagerduty-signature': `v1=${stranger}` }, pd), /no v1 signature in X-PagerDuty-Signature matches/);
    refused(() => check('pagerduty', { 'x-pagerduty-signature': `v2=${current}` }, pd), /no v1 signature/);
  });

  it('generic: "sha256=<hex>" in X-Signature-256, or a bearer token', () => {
    check('generic', { 'x-signature-256': `sha256=${hmacHex(SECRETS.genericHmac, generic)}` }, generic);
    check('generic', { authorization: `Bearer ${SECRETS.genericToken}` }, generic);
    refused(() => check('generic', { 'x-signature-256': hmacHex(SECRETS.genericHmac, generic) }, generic), /X-Signature-256 does not match/);
    refused(() => check('generic', { authorization: 'Bearer nope' }, generic), /the bearer token does not match/);
  });

  it('Alertmanager: the bearer token from http_config.authorization', () => {
    const body = fixtureBytes('alertmanager-firing');
    check('alertmanager', { authorization: `Bearer ${SECRETS.amToken}` }, body);
    refused(() => check('alertmanager', { authorization: `Bearer ${SECRETS.amToken}x` }, body), /bearer token does not match/);
    refused(
      () => check('alertmanager', { authorization: `Basic ${Buffer.from(`u:${SECRETS.amToken}`).toString('base64')}` }, body),
      /missing credentials for alertmanager: send Authorization: Bearer <token>/,
    );
  });

  it('no credentials at all: says which headers it wants', () => {
    refused(() => check('grafana', {}, grafana), /^missing credentials for grafana: send X-Grafana-Alerting-Signature$/);
    refused(() => check('generic', {}, generic), /send Authorization: Bearer <token> or X-Signature-256/);
    refused(() => check('pagerduty', {}, pd), /send X-PagerDuty-Signature/);
  });
});

describe('intake configuration', () => {
  it('refuses to start without any secret, unless insecure on loopback', () => {
    assert.throws(
      () => loadIntakeConfig({}),
      (e: Problem) => e.kind === 'InvalidInput' && /no secret for any sender/.test(e.message),
    );
    assert.equal(loadIntakeConfig({}, { insecure: true }).insecure, true);
    assert.equal(loadIntakeConfig({ TOURNIQUET_INTAKE_INSECURE: 'true', TOURNIQUET_INTAKE_HOST: '::1' }).insecure, true);
    for (const host of ['0.0.0.0', '192.168.1.10', 'example.internal', '::']) {
      assert.throws(
        () => loadIntakeConfig({}, { insecure: true, host }),
        (e: Problem) => /only on a loopback address .*not on/.test(e.message),
        host,
      );
      assert.throws(
        () => loadIntakeConfig(intakeEnv(), { insecure: true, host }),
        (e: Problem) => /only on a loopback address/.test(e.message),
        host,
      );
    }
  });

  it('refuses short secrets, and never shows a secret', () => {
    assert.throws(
      () => loadIntakeConfig({ TOURNIQUET_INTAKE_GENERIC_TOKEN: 'short' }),
      (e: Problem) => /at least 16 characters/.test(e.message) && !e.message.includes('short"'),
    );
    const c = intakeConfig();
    const shown = JSON.stringify(c) + inspect(c, { depth: 10 });
    for (const secret of Object.values(SECRETS)) assert.ok(!shown.includes(secret), 'a secret leaked into JSON or inspect output');
    assert.deepEqual(
      c.auth.pagerduty.hmacSecrets.map((s) => s.reveal()),
      [SECRETS.pagerdutyHmac, SECRETS.pagerdutyOld],
    );
  });
});
