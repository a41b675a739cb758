/**
 * The Temporal server for `tourniquet dev` and the demo: the one named by TEMPORAL_ADDRESS,
 * or else the embedded dev server with its state in the tourniquet home.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../common/config';
import { ensureTemporalCli } from './temporal-cli';
import { startDevServer } from './dev-server';

export interface Stack {
  address: string;
  uiUrl: string | undefined;
  embedded: boolean;
  stop(): Promise<void>;
}

export async function startStack(config: Config, logger: Logger, env: NodeJS.ProcessEnv = process.env): Promise<Stack> {
  if (config.server.external) {
    logger.info({ address: config.server.address }, 'using the Temporal server named by TEMPORAL_ADDRESS');
    return { address: config.server.address, uiUrl: config.server.uiUrl, embedded: false, stop: async () => {} };
  }
  const cli = await ensureTemporalCli(logger, env);
  logger.info({ cli: cli.path, source: cli.source }, 'Temporal CLI');
  const server = await startDevServer({
    cliPath: cli.path,
    dbFile: join(config.home, 'temporal.sqlite'),
    port: config.server.port,
    uiPort: config.server.uiPort,
    namespace: config.server.namespace,
    logFile: join(config.home, 'temporal-server.log'),
    logger,
  });
  return { address: server.address, uiUrl: server.uiUrl, embedded: true, stop: () => server.stop() };
}
