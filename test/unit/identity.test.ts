/**
 * The pieces of approver identity that need no server: RFC 6238 codes against the RFC's own
 * test vector, base32, the approver store (private, refuses what it cannot use), SSH
 * fingerprints as ssh-keygen prints them, and which steps the compiler marks proven.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { enrollApprover, readApprovers, revokeApprover, sshFingerprint } from '../../common/approvers';
import type { Problem } from '../../common/errors';
import { base32Decode, base32Encode, matchTotp, otpauthUri, timeStep, totpCode } from '../../common/totp';
import { approvalDecision, identityFor } from '../../contract';
import { tempDir } from '../helpers/activity';

describe('TOTP', () => {
  // RFC 6238 appendix B, SHA1 key "12345678901234567890": T=59 s gives 94287082 (8 digits).
  const key = Buffer.from('12345678901234567890');
  it('matches the RFC 6238 test vectors (last 6 digits)', () => {
    assert.equal(totpCode(key, timeStep(new Date(59_000))), '287082');
    assert.equal(totpCode(key, timeStep(new Date(1111111109_000))), '081804');
    assert.equal(totpCode(key, timeStep(new Date(2000000000_000))), '279037');
  });

  it('accepts the previous, current and next window, nothing older', () => {
    const now = new Date(1_800_000_000_000);
    const step = timeStep(now);
    for (const offset of [-1, 0, 1]) assert.equal(matchTotp(key, totpCode(key, step + offset), now), step + offset);
    assert.equal(matchTotp(key, totpCode(key, step - 2), now), undefined);
    assert.equal(matchTotp(key, totpCode(key, step + 2), now), undefined);
  });

  it('round-trips base32 and builds the otpauth URI apps read', () => {
    const bytes = randomBytes(20);
    const text = base32Encode(bytes);
    assert.match(text, /^[A-Z2-7]{32}$/);
    assert.deepEqual(base32Decode(text), bytes);
    assert.equal(base32Encode(Buffer.from('foobar')), 'MZXW6YTBOI');
    assert.equal(
      otpauthUri('alice', 'JBSWY3DPEHPK3PXP'),
      'otpauth://totp/tourniquet%3Aalice?secret=JBSWY3DPEHPK3PXP&issuer=tourniquet&algorithm=SHA1&digits=6&period=30',
    );
  });

  it('tolerates spaces in a code and refuses anything but 6 digits, saying so', () => {
    assert.equal(approvalDecision.parse({ step: 's', by: 'a', code: '492 113' }).code, '492113');
    const bad = approvalDecision.safeParse({ step: 's', by: 'a', code: '49211' });
    assert.equal(bad.success, false);
    assert.match(bad.error!.issues[0]!.message, /6 digits your authenticator app shows now/);
    const both = approvalDecision.safeParse({
      step: 's',
      by: 'a',
      code: '492113',
      signature: '-----BEGIN SSH SIGNATURE-----',
      signedAt: new Date().toISOString(),
    });
    assert.match(both.error!.issues[0]!.message, /a code or a signature, not both/);
  });
});

describe('approver store', () => {
  it('is written mode 0600, lists no secret twice, refuses a second enrolment and bad names', async () => {
    const file = join(tempDir('tourniquet-store-'), 'approvers.json');
    const alice = enrollApprover(file, 'alice', { randomBytes, now: new Date() });
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(readApprovers(file).approvers.alice!.totp, alice.secret);
    assert.throws(
      () => enrollApprover(file, 'alice', { randomBytes, now: new Date() }),
      (e: Problem) => e.kind === 'Refused' && /already enrolled; .*revoke alice.* or enroll again with --replace/.test(e.message),
    );
    const again = enrollApprover(file, 'alice', { randomBytes, now: new Date(), replace: true });
    assert.notEqual(again.secret, alice.secret);
    assert.throws(() => enrollApprover(file, 'two words', { randomBytes, now: new Date() }), /an approver name is letters, digits/);
    assert.throws(
      () => enrollApprover(file, 'bob', { randomBytes, now: new Date(), sshPublicKey: 'not a key' }),
      /not an OpenSSH public key \(give the \.pub file/,
    );
    revokeApprover(file, 'alice');
    assert.deepEqual(readApprovers(file).approvers, {});
    assert.throws(() => revokeApprover(file, 'alice'), /alice is not enrolled \(enrolled: nobody\)/);
    writeFileSync(file, '{"version": 1, "approvers": {"x": {}}}');
    assert.throws(() => readApprovers(file), /approver store .* is malformed: approvers\.x\.totp/);
  });

  it('fingerprints an SSH key exactly as ssh-keygen -l does', async () => {
    const dir = tempDir('tourniquet-sshfp-');
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
    const listed = (await execa('ssh-keygen', ['-l', '-f', join(dir, 'k.pub')])).stdout.split(' ')[1];
    assert.equal(sshFingerprint(readFileSync(join(dir, 'k.pub'), 'utf8')), listed);
  });
});

describe('which steps need a proof', () => {
  it('S1 and destructive steps are proven unless the step says asserted', () => {
    const none = { restores: [], changes: [] };
    assert.equal(identityFor('S1', { action: 'runCommand', effects: none }), 'proven');
    assert.equal(identityFor('S2', { action: 'restoreBackup' }), 'proven');
    assert.equal(identityFor('S3', { action: 'runCommand', effects: { restores: [], changes: ['db'] } }), 'proven');
    assert.equal(identityFor('S2', { action: 'startService', effects: none }), 'asserted');
    assert.equal(identityFor('S1', { action: 'restoreBackup', approval: { identity: 'asserted' } }), 'asserted');
  });
});
