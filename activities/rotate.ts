/**
 * rotateKey (env-file adapter): give a secret in an env file a new random value of the same
 * shape, replacing the file atomically with mode 0600.
 *
 * The secret never leaves this function: history, logs and the journal see fingerprints only.
 * Idempotency: before writing, the journal records the new value's fingerprint; a retry that
 * finds that fingerprint in the file knows the rotation already happened.
 */
import { readFileSync } from 'node:fs';
import type { ActivityDeps } from './deps';
import { StepError } from './errors';
import { fingerprint } from './hash';
import { writeFileAtomic } from './journal';
import { defineStep } from './step';

const LINE = (key: string) => new RegExp(`^(\\s*(?:export\\s+)?${key}\\s*=\\s*)(.*)$`);

export function readEnvValue(text: string, key: string): string | undefined {
  for (const line of text.split('\n')) {
    const m = LINE(key).exec(line);
    if (m) return unquote(m[2] ?? '');
  }
  return undefined;
}

function unquote(raw: string): string {
  const v = raw.trim();
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.at(-1) === v[0]) return v.slice(1, -1);
  return v;
}

export function replaceEnvValue(text: string, key: string, value: string): string {
  return text
    .split('\n')
    .map((line) => {
      const m = LINE(key).exec(line);
      return m ? `${m[1]}${value}` : line;
    })
    .join('\n');
}

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';

/** A new secret shaped like the old one: same prefix (e.g. `sk-live-`), length and alphabet. */
export function newSecretLike(old: string, randomBytes: (n: number) => Buffer): string {
  const prefix = /^(?:[A-Za-z]{1,12}[-_])+/.exec(old)?.[0] ?? '';
  const body = old.slice(prefix.length);
  const alphabet = body.length > 0 && /^[0-9a-f]+$/.test(body) ? HEX : BASE62;
  const length = Math.max(body.length, 32);
  // Rejection sampling keeps every character equally likely.
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit && out.length < length) out += alphabet[byte % alphabet.length];
    }
  }
  return prefix + out;
}

export function rotateActivities(deps: ActivityDeps) {
  const rotateKey = defineStep(deps, 'rotateKey', {
    plan: (args) => {
      let text: string;
      try {
        text = readFileSync(args.envFile, 'utf8');
      } catch {
        throw new StepError('TargetNotFound', `env file ${args.envFile} cannot be read`);
      }
      const current = readEnvValue(text, args.key);
      if (current === undefined) throw new StepError('TargetNotFound', `${args.key} is not set in ${args.envFile}`);
      return [{ kind: 'write', detail: `replace ${args.key} (now ${fingerprint(current)}) in ${args.envFile} with a new random value of the same shape, mode 0600` }];
    },
    run: async (io, args) => {
      let text: string;
      try {
        text = readFileSync(args.envFile, 'utf8');
      } catch {
        throw new StepError('TargetNotFound', `env file ${args.envFile} cannot be read`);
      }
      const current = readEnvValue(text, args.key);
      if (current === undefined) throw new StepError('TargetNotFound', `${args.key} is not set in ${args.envFile}`);
      const earlier = io.pending?.record as { oldFingerprint: string; newFingerprint: string } | undefined;
      const data = (oldFingerprint: string, newFingerprint: string) => ({ envFile: args.envFile, key: args.key, oldFingerprint, newFingerprint });
      if (earlier && fingerprint(current) === earlier.newFingerprint) {
        return { summary: `${args.key} in ${args.envFile} rotated (${earlier.oldFingerprint} → ${earlier.newFingerprint})`, data: data(earlier.oldFingerprint, earlier.newFingerprint) };
      }
      const next = newSecretLike(current, deps.randomBytes);
      const record = { oldFingerprint: fingerprint(current), newFingerprint: fingerprint(next) };
      io.markPending(record);
      writeFileAtomic(args.envFile, replaceEnvValue(text, args.key, next), 0o600);
      return { summary: `rotated ${args.key} in ${args.envFile} (${record.oldFingerprint} → ${record.newFingerprint})`, data: data(record.oldFingerprint, record.newFingerprint) };
    },
  });
  return { rotateKey };
}
