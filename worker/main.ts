/**
 * `tourniquet worker`: connect to the configured server and run incidents until SIGINT or
 * SIGTERM, which the SDK turns into a graceful shutdown.
 */
import { loadConfig } from '../common/config';
import { connectWorker } from '../client/temporal';
import { createLogger, installRuntimeLogger } from '../common/logger';
import { createConfiguredWorker } from './create';

export async function runWorker(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loadConfig(env);
  const logger = createLogger(config.logLevel, 'worker');
  installRuntimeLogger(logger);
  const connection = await connectWorker(config);
  try {
    const worker = await createConfiguredWorker(config, connection, logger);
    logger.info({ address: config.server.address, taskQueue: config.taskQueue, home: config.home }, 'worker running');
    await worker.run();
    logger.info('worker stopped');
  } finally {
    await connection.close();
  }
}
