/**
 * One delivery, from raw bytes to an answer: authenticate the raw body, parse it, read the
 * sender's format, route it, resolve the incident, deliver it. Every failure is an
 * `IntakeError` whose kind decides the status; nothing is started unless every step passed.
 */
import type { Logger } from 'pino';
import { Problem } from '../common/errors';
import { authenticate, type AuthSettings, type Headers } from './auth';
import { enabledSources, type IntakeConfig } from './config';
import type { DeliverAlert, DeliveryOutcome } from './dedupe';
import { checkSilenced, planDelivery, reportDelivery, type LifecycleAnswer, type LifecycleDeps } from './decide';
import { IntakeError } from './errors';
import type { Outcome } from './metrics';
import type { ResolveIncident } from './resolve';
import { buildRequest, matchRoute, type Route } from './routes';
import { isSourceName, SOURCE_NAMES, SOURCES, type SourceName } from './sources';

export interface HandlerDeps extends LifecycleDeps {
  config: Pick<IntakeConfig, 'insecure' | 'auth'> & AuthSettings;
  routes: Route[];
  resolve: ResolveIncident;
  deliver: DeliverAlert;
  logger: Logger;
  now?: () => Date;
}

export type Answer =
  | { matched: false; reason: string }
  | ({ matched: true; route: string; incidentId: string; outcome: DeliveryOutcome['outcome'] } & LifecycleAnswer)
  | { matched: true; route: string; outcome: 'silenced'; silence: string };

export interface Handled {
  answer: Answer;
  outcome: Outcome;
  class?: string;
  /** The delivery started an incident run (a new incident or a follow-up). */
  started?: boolean;
}

/** The source named in the URL, if it is one the intake knows and has enabled. */
export function sourceFor(deps: Pick<HandlerDeps, 'config'>, name: string): SourceName {
  if (!isSourceName(name)) throw new IntakeError('UnknownSource', `no sender "${name.slice(0, 40)}": POST to /alerts/${SOURCE_NAMES.join(', /alerts/')}`);
  if (!enabledSources(deps.config).includes(name)) {
    const upper = name.toUpperCase();
    const hmac = name === 'alertmanager' ? '' : ` or TOURNIQUET_INTAKE_${upper}_HMAC_SECRET`;
    throw new IntakeError('UnknownSource', `sender "${name}" is not enabled on this intake: set TOURNIQUET_INTAKE_${upper}_TOKEN${hmac}`);
  }
  return name;
}

export async function handleDelivery(deps: HandlerDeps, name: string, headers: Headers, body: Buffer): Promise<Handled> {
  const source = sourceFor(deps, name);
  const receivedAt = deps.now?.() ?? new Date();
  if (!deps.config.insecure) authenticate(source, deps.config.auth[source], deps.config, { headers, body, now: Math.floor(receivedAt.getTime() / 1000) });

  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new IntakeError('MalformedJson', `the body is not JSON: ${(err as Error).message}`);
  }
  const read = SOURCES[source].read(json);
  if (read.kind === 'ignored') {
    deps.logger.info({ source, reason: read.reason }, 'delivery ignored');
    return { answer: { matched: false, reason: read.reason }, outcome: 'ignored' };
  }
  const delivery = read.delivery;
  const match = matchRoute(deps.routes, delivery);
  if (!match) {
    // Answered and logged, never dropped in silence: the log line says what came and from whom.
    const labels = delivery.alerts[0]!.labels;
    deps.logger.warn({ source, key: delivery.key, status: delivery.status, summary: delivery.summary, labels }, 'alert matched no route');
    return { answer: { matched: false, reason: `no route matches this ${source} alert (${delivery.summary})` }, outcome: 'unmatched' };
  }
  const silence = checkSilenced(deps, deps.logger, match.route.name, delivery, receivedAt);
  if (silence) return { answer: { matched: true, route: match.route.name, outcome: 'silenced', silence }, outcome: 'silenced' };
  const request = buildRequest(match, delivery);
  let input;
  try {
    input = await deps.resolve(request);
  } catch (err) {
    // The details (file paths, the inventory's names) are for the operator's log, not for
    // whoever can post an alert: the answer names the route, the playbook and the alert's values.
    const attrs = { source, route: match.route.name, playbook: request.playbook, params: request.params };
    const values = Object.entries(request.params).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    if (err instanceof Problem && err.kind === 'InvalidInput') {
      deps.logger.warn({ ...attrs, detail: err.message }, 'alert values make no valid incident');
      throw new IntakeError(
        'InvalidIncident',
        `route "${match.route.name}": the alert's values${values.length ? ` (${values.join(', ')})` : ''} do not make a valid incident of playbook "${request.playbook}"; the intake's log says why`,
      );
    }
    deps.logger.error({ ...attrs, err }, 'cannot build the incident');
    throw new IntakeError(
      'ResolveFailed',
      `route "${match.route.name}": cannot build the incident for playbook "${request.playbook}"; the intake's log says why`,
    );
  }
  const { plan, answer } = planDelivery(deps, match, delivery, input, receivedAt);
  const delivered = await deps.deliver(input, delivery, receivedAt, plan);
  reportDelivery(
    deps,
    deps.logger,
    { source, route: match.route.name, playbook: request.playbook, status: delivery.status },
    delivery,
    plan,
    delivered,
    receivedAt,
  );
  return {
    answer: {
      matched: true,
      route: match.route.name,
      incidentId: delivered.incidentId,
      outcome: delivered.outcome,
      ...answer,
      ...(delivered.follows ? { follows: delivered.follows } : {}),
    },
    outcome: delivered.outcome,
    class: delivered.class,
    started: delivered.startedRun ?? delivered.outcome === 'started',
  };
}
