/** Alert fixtures, signatures and intake configs for the intake tests. */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadIntakeConfig, type IntakeConfig } from '../../intake';

const FIXTURES = new URL('../fixtures/alerts/', import.meta.url).pathname;

/** The raw bytes of a fixture, as a sender would post them. */
export function fixtureBytes(name: string): Buffer {
  return readFileSync(`${FIXTURES}${name}.json`);
}

export function fixture(name: string): Record<string, unknown> {
  return JSON.parse(fixtureBytes(name).toString('utf8')) as Record<string, unknown>;
}

export const hmacHex = (secret: string, data: string | Buffer): string => createHmac('sha256', secret).update(data).digest('hex');

export const SECRETS = {
  amToken: 'am-token-0123456789abcdef',
  grafanaHmac: 'grafana-hmac-0123456789abcdef',
  pagerdutyHmac: 'pagerduty-hmac-0123456789abcdef',
  pagerdutyOld: 'pagerduty-hmac-old-0123456789ab',
  genericToken: 'generic-token-0123456789abcdef',
  genericHmac: 'generic-hmac-0123456789abcdef',
};

export function intakeEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    TOURNIQUET_INTAKE_ALERTMANAGER_TOKEN: SECRETS.amToken,
    TOURNIQUET_INTAKE_GRAFANA_HMAC_SECRET: SECRETS.grafanaHmac,
    // Rotation: both the new and the old secret are accepted.
    TOURNIQUET_INTAKE_PAGERDUTY_HMAC_SECRET: `${SECRETS.pagerdutyHmac} ${SECRETS.pagerdutyOld}`,
    TOURNIQUET_INTAKE_GENERIC_TOKEN: SECRETS.genericToken,
    TOURNIQUET_INTAKE_GENERIC_HMAC_SECRET: SECRETS.genericHmac,
    ...extra,
  };
}

export function intakeConfig(extra: NodeJS.ProcessEnv = {}, overrides: Parameters<typeof loadIntakeConfig>[1] = {}): IntakeConfig {
  return loadIntakeConfig(intakeEnv(extra), { port: 0, ...overrides });
}
