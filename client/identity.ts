/**
 * The approver's side of a proven decision: sign it with their SSH key (`ssh-keygen -Y sign`,
 * so a key held by ssh-agent works), or read their authenticator code from the terminal.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { execa } from 'execa';
import { SSH_NAMESPACE, signedMessage } from '../contract';
import { Problem } from '../common/errors';

/** The fields a signed decision adds: the armored signature and the time it covers. */
export async function signDecision(
  keyFile: string,
  d: { incidentId: string; step: string; decision: 'approve' | 'deny'; by: string },
  now = new Date(),
): Promise<{ signature: string; signedAt: string }> {
  const signedAt = now.toISOString();
  const dir = mkdtempSync(join(tmpdir(), 'tourniquet-sign-'));
  try {
    const message = join(dir, 'decision');
    writeFileSync(message, signedMessage({ ...d, signedAt }), { mode: 0o600 });
    // stdin stays the terminal's, for a passphrase prompt; the message goes in as a file.
    const result = await execa('ssh-keygen', ['-Y', 'sign', '-f', keyFile, '-n', SSH_NAMESPACE, message], { reject: false, stdin: 'inherit' });
    if (result.exitCode !== 0) {
      throw new Problem('IdentityNotProven', `ssh-keygen could not sign with ${keyFile}: ${(result.stderr || result.shortMessage || '').trim()}`);
    }
    return { signature: readFileSync(`${message}.sig`, 'utf8'), signedAt };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Ask for the current code on the terminal. */
export async function askCode(by: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(`${by}'s current code (authenticator app, tourniquet:${by}): `)).trim();
  } finally {
    rl.close();
  }
}
