/**
 * RFC 6238 time-based one-time passwords (what authenticator apps show), on node:crypto:
 * HMAC-SHA1, 30 s steps, 6 digits, secrets in RFC 4648 base32.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { TOTP } from '../contract';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Buffer {
  const clean = text.toUpperCase().replace(/[\s=]/g, '');
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of clean) {
    const index = ALPHABET.indexOf(ch);
    if (index < 0) throw new Error(`not base32: "${ch}"`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The 30 s step a moment falls in: the moving factor of RFC 6238. */
export function timeStep(at: Date): number {
  return Math.floor(at.getTime() / 1000 / TOTP.periodSeconds);
}

/** The code for one time step (RFC 4226 dynamic truncation). */
export function totpCode(secret: Buffer, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', secret).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const number = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** TOTP.digits;
  return String(number).padStart(TOTP.digits, '0');
}

/**
 * The time step whose code this is, within one step either side of `at` (clock skew between a
 * phone and the worker), or undefined. Compared in constant time.
 */
export function matchTotp(secret: Buffer, code: string, at: Date): number | undefined {
  const now = timeStep(at);
  let found: number | undefined;
  for (let step = now - TOTP.skewSteps; step <= now + TOTP.skewSteps; step++) {
    if (timingSafeEqual(Buffer.from(totpCode(secret, step)), Buffer.from(code.padEnd(TOTP.digits).slice(0, TOTP.digits)))) found ??= step;
  }
  return found;
}

/** What an authenticator app scans (Key URI format): issuer "tourniquet", account the approver. */
export function otpauthUri(name: string, secretBase32: string): string {
  const label = encodeURIComponent(`tourniquet:${name}`);
  return `otpauth://totp/${label}?secret=${secretBase32}&issuer=tourniquet&algorithm=${TOTP.algorithm}&digits=${TOTP.digits}&period=${TOTP.periodSeconds}`;
}
