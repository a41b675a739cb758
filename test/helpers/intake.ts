/** Alert fixtures, signatures and intake configs for the intake tests, and the stack they run on. */
import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getProgress } from '../../client/incidents';
import type { IncidentProgress } from '../../contract';
import { loadIntakeConfig, startIntake, type IntakeConfig, type RunningIntake } from '../../intake';
import { tempDir } from './activity';
import { quietLogger, startTestStack, waitFor, type TestServer } from './temporal';

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

/**
 * A real Temporal dev server, a worker in the test process and an intake on incident
 * templates and routes written to a fresh folder: the set-up of the intake tests that start
 * incidents.
 */
export interface IntakeStack {
  env: TestServer;
  /** The test's own folder: `templates/`, `routes.yaml`, `home/` (the worker's) and `state/` (the intake's). */
  dir: string;
  stateDir: string;
  taskQueue: string;
  /** The running intake; replaced by `restart()`. */
  intake: RunningIntake;
  /** Close the intake and start a new one on the same state folder, as a restart would. */
  restart(): Promise<void>;
  /** POST a generic alert with the bearer token: the HTTP status and the JSON answer. */
  postGeneric<T>(body: object): Promise<{ status: number; answer: T }>;
  /** Wait until the incident's progress passes `check`. */
  until(id: string, what: string, check: (p: IncidentProgress) => boolean, timeoutMs?: number): Promise<IncidentProgress>;
  stop(): Promise<void>;
}

export async function startIntakeStack(name: string, files: { templates: Record<string, string>; routes: string }): Promise<IntakeStack> {
  const dir = tempDir(`tourniquet-${name}-`);
  const stateDir = join(dir, 'state');
  const taskQueue = `${name}-${randomUUID()}`;
  mkdirSync(join(dir, 'templates'));
  for (const [file, text] of Object.entries(files.templates)) writeFileSync(join(dir, 'templates', file), text);
  writeFileSync(join(dir, 'routes.yaml'), files.routes);
  const base = await startTestStack({ taskQueue, home: join(dir, 'home') });
  const { env } = base;
  const open = () =>
    startIntake({
      config: intakeConfig({}, { routes: join(dir, 'routes.yaml'), templates: join(dir, 'templates') }),
      client: env.client,
      taskQueue,
      logger: quietLogger,
      stateDir,
    });
  const stack: IntakeStack = {
    env,
    dir,
    stateDir,
    taskQueue,
    intake: await open(),
    async restart() {
      await stack.intake.close();
      stack.intake = await open();
    },
    async postGeneric<T>(body: object) {
      const res = await fetch(`${stack.intake.url}/alerts/generic`, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRETS.genericToken}` },
      });
      return { status: res.status, answer: (await res.json()) as T };
    },
    until: (id, what, check, timeoutMs) =>
      waitFor(
        what,
        async () => {
          const p = await getProgress(env.client, id).catch(() => undefined);
          return p && check(p) ? p : undefined;
        },
        timeoutMs,
      ),
    async stop() {
      await stack.intake.close();
      await base.stop();
    },
  };
  return stack;
}
