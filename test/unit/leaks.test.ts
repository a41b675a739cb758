import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fingerprint } from '../../common/hash';
import { findSecrets, positionOf, redactText } from '../../common/secrets/detect';
import { isEnvLike } from '../../activities/leaks';
import { candidates } from '../../common/secrets/rules';

const tokens = {
  github: `ghp_${'A1b2C3d4E5'.repeat(4)}`,
  aws: 'AKIAIOSFODNN7EXAMPLE',
  sk: `sk-live-${'0123456789abcdef'.repeat(3)}`,
  slack: 'xoxb-123456789012-abcdefghijklmn',
  jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijklmnop_qr',
};

describe('secret detection and redaction', () => {
  it('finds known token formats and reports rule, position and fingerprint, never the value', () => {
    const text = `ok line\ntoken ${tokens.github} here\naws=${tokens.aws}\n${tokens.jwt}\n`;
    const found = findSecrets(text);
    assert.deepEqual(
      found.map((f) => f.rule),
      ['github-token', 'aws-access-key-id', 'jwt'],
    );
    assert.deepEqual(positionOf(text, found[0]!.start), { line: 2, column: 7 });
    assert.equal(found[0]!.fingerprint, fingerprint(tokens.github));
    assert.ok(!JSON.stringify(found).includes(tokens.github));
  });

  it('redacts secret assignments, URLs with passwords, private keys and known values', () => {
    const text = [
      `API_TOKEN=${'z'.repeat(20)}`,
      'password: "hunter2-but-longer"',
      'postgres://agent:s3cretpass@db:5432/x',
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----',
      'model=small-value-ok',
      `custom value ${tokens.slack} and plain-known-value-123`,
    ].join('\n');
    const { text: out, redactions } = redactText(text, { values: ['plain-known-value-123'] });
    for (const secret of ['z'.repeat(20), 'hunter2-but-longer', 's3cretpass', 'b3BlbnNzaC1rZXktdjEAAAAA', tokens.slack, 'plain-known-value-123']) {
      assert.ok(!out.includes(secret), `${secret} redacted in:\n${out}`);
    }
    assert.match(out, /model=small-value-ok/, 'innocent values stay');
    assert.match(out, /\[redacted secret-assignment sha256:[0-9a-f]{16}\]/);
    assert.equal(redactions, 6);
    assert.equal(redactText(out).redactions, 0, 'redacted text is stable');
  });

  it('finds a rotated secret by its fingerprint alone, inside assignments and URLs', () => {
    const old = 'Qw7rT9yU1iO3pA5sD7fG';
    const fps = new Set([fingerprint(old)]);
    for (const line of [`KEY=${old}`, `curl -H "x-key: ${old}"`, `https://x.test/?k=${old}&a=1`, `said ${old}.`]) {
      const found = findSecrets(line, { fingerprints: fps });
      assert.equal(found.length, 1, line);
      assert.equal(found[0]!.rule, 'fingerprint');
      assert.equal(line.slice(found[0]!.start, found[0]!.end), old);
    }
    assert.ok(candidates('a=b').length === 0);
  });

  it('knows env-like files from examples', () => {
    for (const f of ['.env', 'app/.env.local', 'prod.env', 'secrets.yaml', 'credentials.json', 'id_rsa', 'tls.pem']) assert.ok(isEnvLike(f), f);
    for (const f of ['.env.example', 'README.md', 'env.ts', '.env.sample']) assert.ok(!isEnvLike(f), f);
  });
});
