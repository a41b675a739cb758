/** Env files: read and replace one key's value, and make a new secret shaped like the old one. */
import { readFileSync } from 'node:fs';
import { StepError } from '../errors';

const LINE = (key: string) => new RegExp(`^(\\s*(?:export\\s+)?${key}\\s*=\\s*)(.*)$`);

export function readEnvValue(text: string, key: string): string | undefined {
  for (const line of text.split('\n')) {
    const m = LINE(key).exec(line);
    if (m) return unquote(m[2] ?? '');
  }
  return undefined;
}

/** Every `KEY=value` of an env file (comments, blank lines and `export` skipped, quotes removed). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (m) out[m[1]!] = unquote(m[2] ?? '');
  }
  return out;
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

/** The text of an env file and the current value of `key` in it; TargetNotFound when either is missing. */
export function readEnvFile(envFile: string, key: string): { text: string; value: string } {
  let text: string;
  try {
    text = readFileSync(envFile, 'utf8');
  } catch {
    throw new StepError('TargetNotFound', `env file ${envFile} cannot be read`);
  }
  const value = readEnvValue(text, key);
  if (value === undefined) throw new StepError('TargetNotFound', `${key} is not set in ${envFile}`);
  return { text, value };
}
