/**
 * Finding secrets in text, for two uses: redacting captured output before it is written, and
 * the leak scan's report. Neither ever returns a secret: spans, rule ids and fingerprints only.
 */
import { fingerprint } from '../hash';
import { candidates, TOKEN_RULES } from './rules';

export interface SecretSpan {
  start: number;
  end: number;
  /** A rule id, `known-value` (a value from a listed env file) or `fingerprint` (a rotated secret). */
  rule: string;
  fingerprint: string;
}

export interface Known {
  /** Exact values to find (e.g. the values of a service's env file). */
  values?: readonly string[];
  /** Fingerprints (`sha256:…`) of values to find, e.g. the old value of a rotated key. */
  fingerprints?: ReadonlySet<string>;
}

/** Values shorter than this are not looked for: too many innocent matches. */
const MIN_KNOWN_LENGTH = 6;

export function findSecrets(text: string, known: Known = {}): SecretSpan[] {
  const spans: SecretSpan[] = [];
  const add = (start: number, end: number, rule: string) => spans.push({ start, end, rule, fingerprint: '' });
  for (const value of known.values ?? []) {
    if (value.length < MIN_KNOWN_LENGTH) continue;
    for (let at = text.indexOf(value); at >= 0; at = text.indexOf(value, at + value.length)) add(at, at + value.length, 'known-value');
  }
  for (const r of TOKEN_RULES) {
    for (const m of text.matchAll(r.pattern)) {
      const secret = m[r.group];
      if (!secret) continue;
      const start = m.index + (r.group === 0 ? 0 : m[0].indexOf(secret));
      add(start, start + secret.length, r.id);
    }
  }
  if (known.fingerprints?.size) {
    let lineStart = 0;
    for (const line of text.split('\n')) {
      for (const c of candidates(line)) {
        if (known.fingerprints.has(fingerprint(c.value))) add(lineStart + c.index, lineStart + c.index + c.value.length, 'fingerprint');
      }
      lineStart += line.length + 1;
    }
  }
  // Fingerprints last: merging may have widened a span.
  return merge(spans).map((s) => ({ ...s, fingerprint: fingerprint(text.slice(s.start, s.end)) }));
}

/** Overlapping spans become one (the earliest rule named wins), sorted by position. */
function merge(spans: SecretSpan[]): SecretSpan[] {
  const priority = (s: SecretSpan) => (s.rule === 'fingerprint' ? 0 : s.rule === 'known-value' ? 1 : 2);
  spans.sort((a, b) => a.start - b.start || priority(a) - priority(b) || b.end - a.end);
  const out: SecretSpan[] = [];
  for (const s of spans) {
    const last = out.at(-1);
    if (last && s.start < last.end) {
      last.end = Math.max(last.end, s.end);
      continue;
    }
    out.push({ ...s });
  }
  return out;
}

/** Replace every secret with `[redacted <rule> sha256:…]`: still matchable, no longer usable. */
export function redactText(text: string, known: Known = {}): { text: string; redactions: number } {
  const spans = findSecrets(text, known);
  let out = '';
  let at = 0;
  for (const s of spans) {
    out += `${text.slice(at, s.start)}[redacted ${s.rule} ${s.fingerprint}]`;
    at = s.end;
  }
  return { text: out + text.slice(at), redactions: spans.length };
}

/** 1-based line and column of an offset. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}
