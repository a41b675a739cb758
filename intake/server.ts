/**
 * The intake's HTTP server (Fastify): `POST /alerts/<sender>`, `GET /healthz`, `GET /metrics`.
 *
 * Bodies are kept as raw bytes (a `parseAs: 'buffer'` content-type parser): signatures are over
 * the exact bytes sent, so nothing may parse and re-serialise them before `authenticate`.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { enabledSources } from './config';
import { IntakeError, type IntakeErrorKind } from './errors';
import { handleDelivery, type HandlerDeps } from './handler';
import { createMetrics, type IntakeMetrics, type Outcome } from './metrics';
import { isSourceName } from './sources';

export interface ServerDeps extends HandlerDeps {
  /** Largest body accepted, in bytes; larger is answered 413. */
  bodyLimit: number;
  metrics?: IntakeMetrics;
  /** How long a request may take to arrive (headers, and headers with body); default `REQUEST_TIMEOUTS`. */
  timeouts?: { headersMs: number; requestMs: number };
}

/**
 * A sender that opens a connection and sends half a request must not hold it (and a socket of
 * the intake) for node's default five minutes: alert bodies are small and arrive at once.
 */
export const REQUEST_TIMEOUTS = { headersMs: 10_000, requestMs: 30_000 } as const;

const OUTCOME_OF: Record<IntakeErrorKind, Outcome> = {
  MalformedJson: 'bad-request',
  InvalidPayload: 'bad-request',
  UnsupportedMediaType: 'bad-request',
  Unauthorized: 'unauthorized',
  UnknownSource: 'unknown-source',
  NotFound: 'unknown-source',
  PayloadTooLarge: 'too-large',
  InvalidParameter: 'invalid-parameter',
  InvalidIncident: 'invalid-incident',
  ResolveFailed: 'error',
  Unexpected: 'error',
  TemporalUnavailable: 'temporal-unavailable',
};

/** Fastify's own refusals, in the intake's vocabulary. */
function asIntakeError(err: FastifyError, bodyLimit: number): IntakeError {
  if (err instanceof IntakeError) return err;
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.statusCode === 413)
    return new IntakeError('PayloadTooLarge', `the body is larger than the limit of ${bodyLimit} bytes`);
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || err.statusCode === 415)
    return new IntakeError('UnsupportedMediaType', 'send the body as Content-Type: application/json');
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return new IntakeError('InvalidPayload', err.message);
  return new IntakeError('Unexpected', 'unexpected error; see the intake log');
}

export function buildIntakeServer(deps: ServerDeps): { app: FastifyInstance; metrics: IntakeMetrics } {
  const metrics = deps.metrics ?? createMetrics();
  // No Fastify logger: its request logging would log every delivery twice; the handler logs what matters.
  const timeouts = deps.timeouts ?? REQUEST_TIMEOUTS;
  const app = Fastify({
    bodyLimit: deps.bodyLimit,
    forceCloseConnections: true,
    return503OnClosing: true,
    requestTimeout: timeouts.requestMs,
    // node checks the two timeouts on this interval (30 s by default, longer than the timeouts).
    http: { headersTimeout: timeouts.headersMs, connectionsCheckingInterval: Math.min(1_000, timeouts.headersMs) },
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: deps.bodyLimit }, (_req, body, done) => done(null, body));

  const sourceLabel = (request: FastifyRequest) => {
    const name = (request.params as { source?: string } | undefined)?.source ?? '';
    return isSourceName(name) ? name : 'unknown';
  };
  const count = (request: FastifyRequest, reply: FastifyReply, outcome: Outcome) => {
    const source = sourceLabel(request);
    metrics.deliveries.inc({ source, outcome });
    metrics.latency.observe({ source, outcome }, reply.elapsedTime / 1000);
  };

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const e = asIntakeError(err, deps.bodyLimit);
    const attrs = { source: sourceLabel(request), kind: e.kind, status: e.status, path: request.url.slice(0, 100), ...(e.detail && { detail: e.detail }) };
    if (e.status >= 500 && e.kind !== 'TemporalUnavailable') deps.logger.error({ ...attrs, err }, e.message);
    else deps.logger.warn(attrs, e.message);
    if (request.url.startsWith('/alerts/')) count(request, reply, OUTCOME_OF[e.kind]);
    return reply.code(e.status).send(e.toJSON());
  });

  app.setNotFoundHandler((request, reply) => {
    const e = new IntakeError('NotFound', `no ${request.method} ${request.url.slice(0, 100)}: alerts go to POST /alerts/<sender>; GET /healthz, GET /metrics`);
    return reply.code(e.status).send(e.toJSON());
  });

  app.get('/healthz', async () => ({ status: 'ok', sources: enabledSources(deps.config), routes: deps.routes.length }));

  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  app.post<{ Params: { source: string } }>('/alerts/:source', async (request, reply) => {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const handled = await handleDelivery(deps, request.params.source, request.headers, body);
    count(request, reply, handled.outcome);
    if (handled.started) metrics.incidentsStarted.inc({ source: sourceLabel(request), class: handled.class ?? 'unknown' });
    return reply.code(202).send(handled.answer);
  });

  return { app, metrics };
}
