/** intake: the alert webhook server. */
import type { Command } from 'commander';
import { z } from 'zod';
import { action, print } from '../command';

/**
 * `tourniquet intake [--routes file] [--templates dir] [--host addr] [--port n] [--insecure]`:
 * receive Alertmanager, Grafana, PagerDuty and generic alert webhooks and start (or update)
 * incidents. Secrets come from `TOURNIQUET_INTAKE_<SENDER>_TOKEN` / `..._HMAC_SECRET`; without
 * any it refuses to start unless `--insecure` on a loopback address. Runs until SIGINT/SIGTERM.
 */
export function registerIntakeCommand(program: Command): void {
  program
    .command('intake')
    .description('Receive alert webhooks (Alertmanager, Grafana, PagerDuty, generic JSON) and start incidents')
    .option('--routes <file>', 'routes file (default: $TOURNIQUET_INTAKE_ROUTES)')
    .option('--templates <dir>', 'route to raw incident templates in this folder instead of playbooks (default: playbooks, with the inventory)')
    .option('--host <address>', 'address to listen on (default 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default 9095)')
    .option('--insecure', 'accept deliveries without any secret; only on a loopback address')
    .action(
      action(
        z.object({
          routes: z.string().min(1).optional(),
          templates: z.string().min(1).optional(),
          host: z.string().min(1).optional(),
          port: z.coerce.number().int().min(1).max(65535).optional(),
          insecure: z.boolean().optional(),
        }),
        async (ctx, o) => {
          const [{ createLogger }, { loadIntakeConfig, startIntake }, { connectClient }] = await Promise.all([
            import('../../common/logger'),
            import('../../intake'),
            import('../../client/temporal'),
          ]);
          const config = ctx.config();
          const intakeConfig = loadIntakeConfig(process.env, o);
          const logger = createLogger(config.logLevel, 'intake');
          // Lazy: the intake starts, and answers 503 so senders retry, while Temporal is down.
          const client = await connectClient(config, { lazy: true });
          const intake = await startIntake({ config: intakeConfig, client, taskQueue: config.taskQueue, logger });
          print(`intake listening on ${intake.url}; incidents on ${config.server.address}, task queue "${config.taskQueue}". Ctrl-C to stop.`);
          await new Promise<void>((resolve) => {
            process.once('SIGINT', resolve);
            process.once('SIGTERM', resolve);
          });
          await intake.close();
          await client.connection.close();
        },
      ),
    );
}
