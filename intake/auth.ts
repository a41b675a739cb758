/**
 * Who may deliver: per sender, a bearer token or an HMAC-SHA256 signature of the raw body,
 * compared in constant time. Any configured method that verifies lets the delivery in.
 *
 * Signature formats, as each sender documents them:
 * - Grafana: `X-Grafana-Alerting-Signature: <hex>` = HMAC-SHA256(secret, body), or of
 *   `<timestamp>:<body>` when the contact point names a Timestamp Header (Unix seconds in that
 *   header). Source: Grafana docs, "Configure webhook notifications", section "HMAC signature"
 *   (grafana.com/docs/grafana/latest/alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier/).
 * - PagerDuty: `X-PagerDuty-Signature: v1=<hex>,v1=<hex>` = HMAC-SHA256(secret, body), one
 *   per signing secret during a rotation; one match is enough. Source: PagerDuty developer
 *   docs, "Verifying Signatures" (developer.pagerduty.com/docs/webhooks/webhook-signatures/,
 *   docs/webhooks/04-Signatures.md in PagerDuty/developer-docs).
 * - generic (ours): `X-Signature-256: sha256=<hex>` = HMAC-SHA256(secret, body), the GitHub-style
 *   header; with `X-Signature-Timestamp: <unix seconds>` the HMAC covers `<timestamp>:<body>`
 *   as Grafana's does.
 * - Alertmanager cannot sign: it sends `Authorization: Bearer <token>` from its webhook
 *   receiver's `http_config.authorization` (prometheus.io/docs/alerting/latest/configuration/#http_config).
 *
 * A signed timestamp must be within the replay window of now, either way; a body signed
 * without one cannot be dated, so `requireTimestamp` refuses those where the sender can date.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../common/secret';
import type { SourceAuth } from './config';
import { IntakeError } from './errors';
import type { SourceName } from './sources';

export interface AuthSettings {
  replayWindowSec: number;
  requireTimestamp: boolean;
  grafanaTimestampHeader: string;
}

export type Headers = Record<string, string | string[] | undefined>;

export interface SignedRequest {
  /** Lower-case header names, as Node gives them. */
  headers: Headers;
  body: Buffer;
  /** Unix seconds. */
  now: number;
}

type Verdict = 'ok' | 'absent' | { failure: string };

interface Scheme {
  /** For the "missing credentials" message. */
  header: string;
  verify(req: SignedRequest, secrets: Secret[], s: AuthSettings): Verdict;
}

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

const hmac = (secret: Secret, data: Buffer): Buffer => createHmac('sha256', secret.reveal()).update(data).digest();

/** Constant time over the digest; a value that is not 64 hex characters never matches. */
function hexMatches(expected: Buffer, provided: string): boolean {
  if (!/^[0-9a-fA-F]{64}$/.test(provided)) return false;
  return timingSafeEqual(expected, Buffer.from(provided, 'hex'));
}

/** The bytes a timestamped signature covers, or why the timestamp is refused. */
function signedBytes(req: SignedRequest, tsHeader: string, s: AuthSettings): { bytes: Buffer; ts?: number } | { failure: string } {
  const raw = header(req.headers, tsHeader);
  if (raw === undefined) {
    if (s.requireTimestamp) return { failure: `a signed timestamp is required: send it in ${tsHeader}` };
    return { bytes: req.body };
  }
  if (!/^\d{1,12}$/.test(raw.trim())) return { failure: `${tsHeader} must be Unix seconds` };
  return { bytes: Buffer.concat([Buffer.from(`${raw.trim()}:`), req.body]), ts: Number(raw.trim()) };
}

function fresh(ts: number | undefined, req: SignedRequest, s: AuthSettings, tsHeader: string): Verdict {
  if (ts === undefined || Math.abs(req.now - ts) <= s.replayWindowSec) return 'ok';
  return {
    failure: `the signature is valid but its timestamp (${tsHeader}: ${ts}) is ${req.now - ts} s away from now, outside the replay window of ±${s.replayWindowSec} s`,
  };
}

/** One hex HMAC in one header, optionally over `<timestamp>:<body>` (Grafana and generic). */
function timestampedScheme(sigHeader: string, prefix: string, tsHeaderOf: (s: AuthSettings) => string): Scheme {
  return {
    header: sigHeader,
    verify(req, secrets, s) {
      const value = header(req.headers, sigHeader);
      if (value === undefined) return 'absent';
      const tsHeader = tsHeaderOf(s);
      const signed = signedBytes(req, tsHeader, s);
      if ('failure' in signed) return signed;
      const provided = value.trim().startsWith(prefix) ? value.trim().slice(prefix.length) : '';
      if (!secrets.some((secret) => hexMatches(hmac(secret, signed.bytes), provided))) {
        return { failure: `${sigHeader} does not match the body${signed.ts === undefined ? '' : ` and ${tsHeader}`}` };
      }
      return fresh(signed.ts, req, s, tsHeader);
    },
  };
}

const pagerdutyScheme: Scheme = {
  header: 'X-PagerDuty-Signature',
  verify(req, secrets) {
    const value = header(req.headers, 'X-PagerDuty-Signature');
    if (value === undefined) return 'absent';
    const provided = value
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v.startsWith('v1='))
      .map((v) => v.slice(3));
    const expected = secrets.map((secret) => hmac(secret, req.body));
    // Every (secret, signature) pair: either side may be mid-rotation.
    if (expected.some((e) => provided.some((p) => hexMatches(e, p)))) return 'ok';
    return { failure: 'no v1 signature in X-PagerDuty-Signature matches the body' };
  },
};

const SCHEMES: Partial<Record<SourceName, Scheme>> = {
  grafana: timestampedScheme('X-Grafana-Alerting-Signature', '', (s) => s.grafanaTimestampHeader),
  pagerduty: pagerdutyScheme,
  generic: timestampedScheme('X-Signature-256', 'sha256=', () => 'X-Signature-Timestamp'),
};

function bearer(headers: Headers): string | undefined {
  const value = header(headers, 'authorization');
  const match = value ? /^Bearer\s+(\S+)\s*$/i.exec(value) : null;
  return match ? match[1] : undefined;
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Comparing digests keeps the comparison constant-time whatever the lengths. */
function tokenMatches(token: string, tokens: Secret[]): boolean {
  const given = digest(token);
  return tokens.map((t) => timingSafeEqual(given, digest(t.reveal()))).includes(true);
}

/** Let the delivery in, or throw `Unauthorized` saying what was missing or wrong (never a secret). */
export function authenticate(source: SourceName, auth: SourceAuth, s: AuthSettings, req: SignedRequest): void {
  const failures: string[] = [];
  const expected: string[] = [];
  if (auth.tokens.length) {
    expected.push('Authorization: Bearer <token>');
    const token = bearer(req.headers);
    if (token !== undefined) {
      if (tokenMatches(token, auth.tokens)) return;
      failures.push('the bearer token does not match');
    }
  }
  const scheme = SCHEMES[source];
  if (scheme && auth.hmacSecrets.length) {
    expected.push(scheme.header);
    const verdict = scheme.verify(req, auth.hmacSecrets, s);
    if (verdict === 'ok') return;
    if (verdict !== 'absent') failures.push(verdict.failure);
  }
  if (failures.length) throw new IntakeError('Unauthorized', failures.join('; '));
  throw new IntakeError('Unauthorized', `missing credentials for ${source}: send ${expected.join(' or ')}`);
}
