/**
 * The approver store: who is enrolled, their authenticator secret and optionally the public
 * half of their SSH key. One JSON file with the worker (mode 0600), read by the worker's
 * `verifyApprover` and written by `tourniquet approvers`. Never in workflow input, history,
 * logs or notes: whoever reads this file can make anyone's codes.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { formatIssues } from '../contract';
import { Problem } from './errors';
import { base32Encode } from './totp';

/** Approver names: what `by` says, and an SSH principal (no spaces or commas). */
export const APPROVER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
export const approverName = z.string().regex(APPROVER_NAME, 'an approver name is letters, digits, ".", "_", "@" or "-" (at most 64), e.g. "alice"');

const sshKey = z.object({
  /** One line of an OpenSSH public key file: `ssh-ed25519 AAAA... comment`. */
  publicKey: z.string().regex(/^(ssh-|ecdsa-|sk-)\S+ [A-Za-z0-9+/=]+( .*)?$/),
  /** `SHA256:...`, as `ssh-keygen -l` prints it. */
  fingerprint: z.string(),
});

const approverEntry = z.object({
  /** Base32 TOTP secret (RFC 6238). */
  totp: z.string().regex(/^[A-Z2-7]+$/),
  enrolledAt: z.string(),
  ssh: sshKey.optional(),
});
export type ApproverEntry = z.infer<typeof approverEntry>;

const storeSchema = z.object({ version: z.literal(1), approvers: z.record(z.string(), approverEntry) });
export type ApproverStore = z.infer<typeof storeSchema>;

export function readApprovers(file: string): ApproverStore {
  if (!existsSync(file)) return { version: 1, approvers: {} };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Problem('InvalidInput', `the approver store ${file} is not JSON (${(err as Error).message}); restore it or remove it and enroll again`);
  }
  const parsed = storeSchema.safeParse(raw);
  if (!parsed.success) throw new Problem('InvalidInput', `the approver store ${file} is malformed: ${formatIssues(parsed.error).join('; ')}`);
  return parsed.data;
}

/** Written whole to a private temporary file, then renamed: a reader never sees half a store. */
export function writeApprovers(file: string, store: ApproverStore): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(store, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** The SHA256 fingerprint of an OpenSSH public key line, in ssh-keygen's own format. */
export function sshFingerprint(publicKeyLine: string): string {
  const blob = publicKeyLine.trim().split(/\s+/)[1];
  if (!blob) throw new Problem('InvalidInput', 'not an OpenSSH public key line ("ssh-ed25519 AAAA... comment")');
  return `SHA256:${createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64').replace(/=+$/, '')}`;
}

export interface Enrolled {
  name: string;
  /** Base32: what the person types into an authenticator app. Shown once, at enrolment. */
  secret: string;
  sshFingerprint?: string;
}

/** Enroll (or, with `replace`, re-enroll) one approver; returns what they keep. */
export function enrollApprover(
  file: string,
  name: string,
  o: { randomBytes: (n: number) => Buffer; now: Date; sshPublicKey?: string; replace?: boolean },
): Enrolled {
  const checked = approverName.safeParse(name);
  if (!checked.success) throw new Problem('InvalidInput', `"${name}": ${checked.error.issues[0]!.message}`);
  const store = readApprovers(file);
  if (store.approvers[name] && !o.replace)
    throw new Problem('Refused', `${name} is already enrolled; \`tourniquet approvers revoke ${name}\` first, or enroll again with --replace`);
  let ssh: ApproverEntry['ssh'];
  if (o.sshPublicKey !== undefined) {
    const line = o.sshPublicKey.trim().split('\n')[0] ?? '';
    const parsed = sshKey.shape.publicKey.safeParse(line);
    if (!parsed.success) throw new Problem('InvalidInput', 'the --ssh-key file is not an OpenSSH public key (give the .pub file, e.g. ~/.ssh/id_ed25519.pub)');
    ssh = { publicKey: line, fingerprint: sshFingerprint(line) };
  }
  // 20 bytes: the HMAC-SHA1 key length RFC 4226 recommends.
  const secret = base32Encode(o.randomBytes(20));
  store.approvers[name] = { totp: secret, enrolledAt: o.now.toISOString(), ...(ssh ? { ssh } : {}) };
  writeApprovers(file, store);
  return { name, secret, ...(ssh ? { sshFingerprint: ssh.fingerprint } : {}) };
}

export function revokeApprover(file: string, name: string): void {
  const store = readApprovers(file);
  if (!store.approvers[name]) throw new Problem('InvalidInput', `${name} is not enrolled (enrolled: ${Object.keys(store.approvers).join(', ') || 'nobody'})`);
  delete store.approvers[name];
  writeApprovers(file, store);
}
