/**
 * The intake's settings, from the environment (`loadIntakeConfig(env)`, so tests pass their
 * own) with command-line flags on top. Secrets become `Secret`s at once: they never reach a
 * log line or `JSON.stringify`.
 */
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';
import { flag, port } from '../common/config';
import { Problem } from '../common/errors';
import { Secret } from '../common/secret';
import { formatIssues } from '../contract';
import { SOURCE_NAMES, type SourceName } from './sources';

/** Several values separated by spaces: the new secret and the old one while senders switch over. */
const secrets = z
  .string()
  .optional()
  .transform((v) => (v ?? '').split(/\s+/).filter(Boolean))
  .refine((list) => list.every((s) => s.length >= 16), 'each secret must be at least 16 characters (e.g. `openssl rand -hex 32`)')
  .transform((list) => list.map((s) => new Secret(s)));

const headerName = z.string().regex(/^[A-Za-z0-9-]{1,100}$/, 'must be an HTTP header name');

const envSchema = z.object({
  /** Address to listen on. Anything but loopback needs the senders' secrets. */
  TOURNIQUET_INTAKE_HOST: z.string().min(1).default('127.0.0.1'),
  TOURNIQUET_INTAKE_PORT: port.default(9095),
  /** The routes file (YAML or JSON). */
  TOURNIQUET_INTAKE_ROUTES: z.string().min(1).optional(),
  /** Folder of incident templates, `<playbook>.yaml`; default: `templates/` beside the routes file. */
  TOURNIQUET_INTAKE_TEMPLATES: z.string().min(1).optional(),
  /** Largest body accepted, in bytes (default 1 MiB); larger is answered 413. */
  TOURNIQUET_INTAKE_BODY_LIMIT: z.coerce
    .number()
    .int()
    .min(1024)
    .max(16 * 1024 * 1024)
    .default(1024 * 1024),
  /** Seconds a signed timestamp may differ from now (either way) before the delivery is refused as a replay. */
  TOURNIQUET_INTAKE_REPLAY_WINDOW: z.coerce.number().int().min(10).max(3600).default(300),
  /**
   * Least time in ms between two signals that carry repeats to one incident; repeats arriving
   * meanwhile wait and go together. Bounds a storm's cost to Temporal; each repeat's answer
   * waits at most this long more. 0 sends the next batch as soon as the last is acknowledged.
   */
  TOURNIQUET_INTAKE_REPEAT_GAP: z.coerce.number().int().min(0).max(2000, 'must be at most 2000 ms: a sender waits for the answer').default(500),
  /** Refuse HMAC signatures without a signed timestamp (Grafana, generic). */
  TOURNIQUET_INTAKE_REQUIRE_TIMESTAMP: flag,
  /** Accept unauthenticated deliveries. Only together with a loopback host. */
  TOURNIQUET_INTAKE_INSECURE: flag,
  /** The header Grafana's "Timestamp Header" setting names (Grafana has no default). */
  TOURNIQUET_INTAKE_GRAFANA_TIMESTAMP_HEADER: headerName.default('X-Grafana-Alerting-Timestamp'),
  TOURNIQUET_INTAKE_ALERTMANAGER_TOKEN: secrets,
  TOURNIQUET_INTAKE_GRAFANA_TOKEN: secrets,
  TOURNIQUET_INTAKE_GRAFANA_HMAC_SECRET: secrets,
  TOURNIQUET_INTAKE_PAGERDUTY_TOKEN: secrets,
  TOURNIQUET_INTAKE_PAGERDUTY_HMAC_SECRET: secrets,
  TOURNIQUET_INTAKE_GENERIC_TOKEN: secrets,
  TOURNIQUET_INTAKE_GENERIC_HMAC_SECRET: secrets,
});

/** How one sender proves itself: any configured token or HMAC secret that matches. */
export interface SourceAuth {
  tokens: Secret[];
  hmacSecrets: Secret[];
}

export interface IntakeConfig {
  host: string;
  port: number;
  bodyLimit: number;
  replayWindowSec: number;
  /** Least ms between two signals of repeats to one incident (TOURNIQUET_INTAKE_REPEAT_GAP). */
  repeatGapMs: number;
  requireTimestamp: boolean;
  /** Unauthenticated, loopback only: every source is open. */
  insecure: boolean;
  routesFile: string | undefined;
  templatesDir: string | undefined;
  grafanaTimestampHeader: string;
  auth: Record<SourceName, SourceAuth>;
}

export interface IntakeOverrides {
  host?: string;
  port?: number;
  routes?: string;
  templates?: string;
  insecure?: boolean;
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

export function loadIntakeConfig(env: NodeJS.ProcessEnv = process.env, o: IntakeOverrides = {}, cwd = process.cwd()): IntakeConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new Problem('InvalidInput', `bad intake environment: ${formatIssues(parsed.error).join('; ')}`);
  const e = parsed.data;
  const routesFile = o.routes ?? e.TOURNIQUET_INTAKE_ROUTES;
  const templatesDir = o.templates ?? e.TOURNIQUET_INTAKE_TEMPLATES;
  const config: IntakeConfig = {
    host: o.host ?? e.TOURNIQUET_INTAKE_HOST,
    port: o.port ?? e.TOURNIQUET_INTAKE_PORT,
    bodyLimit: e.TOURNIQUET_INTAKE_BODY_LIMIT,
    replayWindowSec: e.TOURNIQUET_INTAKE_REPLAY_WINDOW,
    repeatGapMs: e.TOURNIQUET_INTAKE_REPEAT_GAP,
    requireTimestamp: e.TOURNIQUET_INTAKE_REQUIRE_TIMESTAMP,
    insecure: o.insecure ?? e.TOURNIQUET_INTAKE_INSECURE,
    routesFile: routesFile ? resolve(cwd, routesFile) : undefined,
    templatesDir: templatesDir ? resolve(cwd, templatesDir) : undefined,
    grafanaTimestampHeader: e.TOURNIQUET_INTAKE_GRAFANA_TIMESTAMP_HEADER,
    auth: {
      alertmanager: { tokens: e.TOURNIQUET_INTAKE_ALERTMANAGER_TOKEN, hmacSecrets: [] },
      grafana: { tokens: e.TOURNIQUET_INTAKE_GRAFANA_TOKEN, hmacSecrets: e.TOURNIQUET_INTAKE_GRAFANA_HMAC_SECRET },
      pagerduty: { tokens: e.TOURNIQUET_INTAKE_PAGERDUTY_TOKEN, hmacSecrets: e.TOURNIQUET_INTAKE_PAGERDUTY_HMAC_SECRET },
      generic: { tokens: e.TOURNIQUET_INTAKE_GENERIC_TOKEN, hmacSecrets: e.TOURNIQUET_INTAKE_GENERIC_HMAC_SECRET },
    },
  };
  checkSafe(config);
  return config;
}

/** Sources that accept deliveries: those with a secret, or all of them when insecure. */
export function enabledSources(config: Pick<IntakeConfig, 'insecure' | 'auth'>): SourceName[] {
  return SOURCE_NAMES.filter((s) => config.insecure || config.auth[s].tokens.length > 0 || config.auth[s].hmacSecrets.length > 0);
}

/** Refuse to start open to the network: no secret at all is only allowed insecure on loopback. */
export function checkSafe(config: Pick<IntakeConfig, 'insecure' | 'auth' | 'host'>): void {
  if (config.insecure && !isLoopback(config.host)) {
    throw new Problem(
      'InvalidInput',
      `the intake runs without authentication (--insecure) only on a loopback address (127.0.0.1, ::1, localhost), not on ${config.host}`,
    );
  }
  if (!config.insecure && enabledSources(config).length === 0) {
    throw new Problem(
      'InvalidInput',
      'the intake has no secret for any sender, so it would accept nothing: set TOURNIQUET_INTAKE_<SENDER>_TOKEN or TOURNIQUET_INTAKE_<SENDER>_HMAC_SECRET ' +
        `(senders: ${SOURCE_NAMES.join(', ')}), or for a local try-out run it with --insecure on 127.0.0.1`,
    );
  }
}
