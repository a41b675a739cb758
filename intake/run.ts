/**
 * Start the intake from its config: load and cross-check the routes and the incident
 * templates (every problem is reported before anything listens), then listen.
 * `tourniquet intake`, `tourniquet dev`, the benchmark and the tests all start it here.
 */
import { loadConfig } from '../common/config';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Problem } from '../common/errors';
import { enabledSources, type IntakeConfig } from './config';
import { temporalDelivery } from './dedupe';
import type { IntakeMetrics } from './metrics';
import type { ResolveIncident } from './resolve';
import { loadRoutes, type Route } from './routes';
import { buildIntakeServer } from './server';
import { registerClockMetrics } from './clock-metrics';
import { FiringCounter, longestWindow } from './lifecycle';
import { SilenceBook } from './silences';
import { intakeStateDir } from './state';
import { playbookResolver, type PlaybookResolverOptions } from './playbooks';
import { templateResolver } from './templates';

function defaultPlaybookOptions(): PlaybookResolverOptions {
  const c = loadConfig();
  return { inventoryFile: c.inventoryFile, playbooksDir: c.playbooksDir, home: c.home };
}

export interface RunningIntake {
  /** `http://127.0.0.1:9095` */
  url: string;
  app: FastifyInstance;
  metrics: IntakeMetrics;
  /** Stop listening, then wait for Temporal calls still in flight; the caller closes the client after. */
  close(): Promise<void>;
}

export interface StartIntakeOptions {
  config: IntakeConfig;
  client: Client;
  taskQueue: string;
  logger: Logger;
  /** Replaces the configured resolver (tests). */
  resolve?: ResolveIncident;
  /** The playbook resolver's inventory, playbook folder and home (from the main config). */
  playbooks?: PlaybookResolverOptions;
  /** How long a delivery waits for Temporal before answering 503. */
  temporalTimeoutMs?: number;
  /** The intake's state folder: silences and recorded re-fires (default: `intakeStateDir()`). */
  stateDir?: string;
}

/** The template resolver, checked against the routes: each playbook has a template and gets the parameters it uses. */
function templatesFor(dir: string, routes: Route[]): ResolveIncident {
  const templates = templateResolver(dir);
  const problems: string[] = [];
  for (const route of routes) {
    const needed = templates.parametersOf(route.playbook);
    if (!needed) {
      problems.push(`route "${route.name}": no incident template "${route.playbook}" in ${dir} (templates: ${templates.playbooks.join(', ') || 'none'})`);
      continue;
    }
    const missing = needed.filter((p) => !Object.hasOwn(route.params, p));
    if (missing.length)
      problems.push(
        `route "${route.name}": template "${route.playbook}" uses ${missing.map((m) => `{{${m}}}`).join(', ')}, which the route's params do not give`,
      );
  }
  if (problems.length) throw new Problem('InvalidInput', `routes and templates disagree:\n  ${problems.join('\n  ')}`);
  return templates.resolve;
}

export async function startIntake(o: StartIntakeOptions): Promise<RunningIntake> {
  const { config, logger } = o;
  if (!config.routesFile) throw new Problem('InvalidInput', 'the intake needs a routes file: pass --routes <file> or set TOURNIQUET_INTAKE_ROUTES');
  const routes = loadRoutes(config.routesFile);
  // Playbooks (with the inventory) by default; raw incident templates when a folder is configured.
  const resolve =
    o.resolve ?? (config.templatesDir ? templatesFor(config.templatesDir, routes) : playbookResolver(o.playbooks ?? defaultPlaybookOptions(), routes));
  const deliver = temporalDelivery(o.client, {
    taskQueue: o.taskQueue,
    repeatGapMs: config.repeatGapMs,
    ...(o.temporalTimeoutMs ? { timeoutMs: o.temporalTimeoutMs } : {}),
  });
  const stateDir = o.stateDir ?? intakeStateDir();
  const silences = new SilenceBook(stateDir);
  silences.all(); // a broken silences file is reported before anything listens
  const { app, metrics } = buildIntakeServer({
    config,
    routes,
    resolve,
    deliver,
    silences,
    firings: new FiringCounter(longestWindow(routes.map((r) => r.lifecycle))),
    stateDir,
    logger: logger.child({ component: 'intake' }),
    bodyLimit: config.bodyLimit,
  });
  registerClockMetrics(metrics.registry, o.client, logger.child({ component: 'intake' }));
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    throw new Problem('StartupFailed', `the intake cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`);
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  if (config.insecure) logger.warn({ url }, 'intake running WITHOUT authentication (--insecure, loopback only)');
  logger.info({ url, sources: enabledSources(config), routes: routes.length, bodyLimit: config.bodyLimit }, 'intake listening');
  return {
    url,
    app,
    metrics,
    async close() {
      await app.close();
      await deliver.drain();
    },
  };
}
