import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { loadConfig } from '../../common/config';
import { Problem } from '../../common/errors';
import { devServerArgs } from '../../server/dev-server';
import { findTemporalCli } from '../../server/temporal-cli';

describe('loadConfig', () => {
  it('defaults to the embedded server and a project-local home', () => {
    const c = loadConfig({}, '/srv/app');
    assert.equal(c.server.external, false);
    assert.equal(c.server.address, '127.0.0.1:7233');
    assert.equal(c.server.uiPort, 8233);
    assert.equal(c.home, '/srv/app/.tourniquet');
    assert.equal(c.taskQueue, 'tourniquet');
  });

  it('connects to TEMPORAL_ADDRESS with TLS and an API key that never prints', () => {
    const c = loadConfig({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'ns.acct', TEMPORAL_API_KEY: 'canary-api-key-123' });
    assert.equal(c.server.external, true);
    assert.equal(c.server.namespace, 'ns.acct');
    assert.ok(c.server.tls, 'an API key implies TLS');
    assert.equal(c.server.apiKey?.reveal(), 'canary-api-key-123');
    assert.ok(!JSON.stringify(c).includes('canary-api-key-123'));
    assert.ok(!inspect(c, { depth: 10 }).includes('canary-api-key-123'));
    assert.ok(!String(c.server.apiKey).includes('canary'));
  });

  it('says what is wrong with a bad environment', () => {
    assert.throws(
      () => loadConfig({ TEMPORAL_ADDRESS: 'no-port' }),
      (e: Problem) => e.kind === 'InvalidInput' && /TEMPORAL_ADDRESS: must be host:port/.test(e.message),
    );
    assert.throws(() => loadConfig({ TOURNIQUET_UI_PORT: '99999' }), /TOURNIQUET_UI_PORT/);
    assert.throws(() => loadConfig({ TEMPORAL_TLS_CLIENT_CERT_PATH: '/c.pem' }), /both TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH/);
  });
});

describe('embedded server', () => {
  it('starts start-dev with a SQLite file, the UI and the search attributes', () => {
    const args = devServerArgs({ dbFile: '/h/temporal.sqlite', port: 7233, uiPort: 8233 });
    assert.deepEqual(args.slice(0, 2), ['server', 'start-dev']);
    assert.equal(args[args.indexOf('--db-filename') + 1], '/h/temporal.sqlite');
    assert.equal(args[args.indexOf('--ui-port') + 1], '8233');
    for (const sa of ['IncidentClass=Keyword', 'IncidentSeverity=Keyword', 'IncidentPhase=Keyword']) assert.ok(args.includes(sa), sa);
    assert.ok(devServerArgs({ dbFile: '/x', port: 1, uiPort: false }).includes('--headless'));
  });

  it('refuses a TEMPORAL_CLI that is not executable, saying so', () => {
    assert.throws(() => findTemporalCli({ TEMPORAL_CLI: '/nonexistent/temporal' }), /TEMPORAL_CLI=\/nonexistent\/temporal is not an executable file/);
  });

  it('lists what it tried when nothing is found', () => {
    const found = findTemporalCli({ PATH: '/nonexistent' });
    if ('path' in found) {
      // A project-local install exists on this machine: it must be one of the local candidates.
      assert.equal(found.source, 'project-local');
    } else {
      assert.ok(found.tried.some((t) => t.includes('on PATH')));
    }
  });
});
