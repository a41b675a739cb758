import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { fingerprint } from '../../common/hash';
import { newSecretLike, readEnvValue, replaceEnvValue } from '../../activities/rotate';

describe('env file secrets', () => {
  const text = '# comment\nexport OTHER=1\nAPI_KEY="sk-live-abc123"\nAPI_KEY_2=zzz\n';

  it('reads a value, quoted or not, and not a longer key with the same prefix', () => {
    assert.equal(readEnvValue(text, 'API_KEY'), 'sk-live-abc123');
    assert.equal(readEnvValue(text, 'API_KEY_2'), 'zzz');
    assert.equal(readEnvValue(text, 'OTHER'), '1');
    assert.equal(readEnvValue(text, 'MISSING'), undefined);
  });

  it('replaces only the named key and keeps everything else byte for byte', () => {
    const out = replaceEnvValue(text, 'API_KEY', 'NEW');
    assert.equal(out, '# comment\nexport OTHER=1\nAPI_KEY=NEW\nAPI_KEY_2=zzz\n');
  });

  it('makes a new secret of the same shape: prefix, length, alphabet', () => {
    const old = `sk-live-${'a1b2c3d4'.repeat(5)}`;
    const next = newSecretLike(old, randomBytes);
    assert.ok(next.startsWith('sk-live-'));
    assert.equal(next.length, old.length);
    assert.match(next.slice(8), /^[0-9a-f]+$/);
    assert.notEqual(next, old);
    const b62 = newSecretLike('ghp_Ab', randomBytes);
    assert.ok(b62.startsWith('ghp_'));
    assert.equal(b62.length, 4 + 32, 'short secrets grow to at least 32 characters');
    assert.match(b62.slice(4), /^[A-Za-z0-9]+$/);
  });

  it('fingerprints are stable, short and not the secret', () => {
    assert.equal(fingerprint('s3cret'), fingerprint('s3cret'));
    assert.match(fingerprint('s3cret'), /^sha256:[0-9a-f]{16}$/);
    assert.ok(!fingerprint('s3cret').includes('s3cret'));
  });
});
