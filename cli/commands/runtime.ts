/** dev and worker: the commands that run things. */
import type { Command } from 'commander';
import { z } from 'zod';
import type { NativeConnection } from '@temporalio/worker';
import type { RunningIntake } from '../../intake';
import { action, print, printJson } from '../command';

export function registerRuntimeCommands(program: Command): void {
  program
    .command('dev')
    .description(
      'Run the embedded Temporal dev server (Web UI on TOURNIQUET_UI_PORT, default 8233) and a worker in the foreground, and the alert intake when TOURNIQUET_INTAKE_ROUTES is set; Ctrl-C stops them',
    )
    .option('--json', 'print the addresses as one JSON line when ready')
    .action(
      action(z.object({}), async (ctx, _o) => {
        const [
          { createLogger, installRuntimeLogger },
          { connectClient, connectWorker },
          { loadIntakeConfig, loadRoutes, startIntake },
          { startStack },
          { createConfiguredWorker },
        ] = await Promise.all([
          import('../../common/logger'),
          import('../../client/temporal'),
          import('../../intake'),
          import('../../server/stack'),
          import('../../worker/create'),
        ]);
        const config = ctx.config();
        // A bad routes file is the operator's to fix: say so before any server starts.
        const intakeConfig = process.env.TOURNIQUET_INTAKE_ROUTES ? loadIntakeConfig() : undefined;
        if (intakeConfig?.routesFile) loadRoutes(intakeConfig.routesFile);
        const logger = createLogger(config.logLevel, 'dev');
        installRuntimeLogger(logger);
        const stack = await startStack(config, logger);
        const address = stack.address;
        const server = { ...config.server, address };
        // With a routes file configured, the alert intake runs too (same server, same task queue).
        const client = intakeConfig ? await connectClient({ ...config, server }, { lazy: true }) : undefined;
        let intake: RunningIntake | undefined;
        let connection: NativeConnection | undefined;
        try {
          // The intake starts first: its playbooks and templates are checked against the routes,
          // and a problem there stops nothing the worker would still hold.
          intake = client && intakeConfig ? await startIntake({ config: intakeConfig, client, taskQueue: config.taskQueue, logger }) : undefined;
          connection = await connectWorker({ ...config, server });
          const worker = await createConfiguredWorker(config, connection, logger);
          if (ctx.json)
            process.stdout.write(`${JSON.stringify({ address, uiUrl: stack.uiUrl ?? null, taskQueue: config.taskQueue, intakeUrl: intake?.url ?? null })}\n`);
          else
            print(
              `Temporal server ${address}${stack.uiUrl ? `, Web UI ${stack.uiUrl}` : ''}; worker on task queue "${config.taskQueue}"${intake ? `; alert intake ${intake.url}` : ''}. Ctrl-C to stop.`,
            );
          // The SDK turns SIGINT/SIGTERM into a graceful worker shutdown; run() returns after it.
          await worker.run();
        } finally {
          await intake?.close();
          await client?.connection.close();
          await connection?.close();
          await stack.stop();
          if (!ctx.json && connection) print('stopped; incidents are kept in the server database and resume on the next start');
        }
      }),
    );

  program
    .command('setup')
    .description(
      'Find the Temporal CLI for the embedded server, installing it into .tools/ if missing; print its path. ' +
        'With --cluster: on the server named by TEMPORAL_ADDRESS, create the namespace if missing and register the search attributes incidents set',
    )
    .option('--cluster', 'set up the namespace (TEMPORAL_NAMESPACE) and search attributes on the external server at TEMPORAL_ADDRESS instead')
    .option('--retention <duration>', 'with --cluster: how long closed incidents stay readable, for a namespace created now', '720h')
    .option('--json', 'print JSON: {path, source}, or with --cluster {address, namespace, created, added, present}')
    .action(
      action(
        z.object({ cluster: z.boolean().optional(), retention: z.string().regex(/^\d+[hm]$/, 'a duration in hours or minutes, like 720h') }),
        async (ctx, o) => {
          if (o.cluster) return (await import('./cluster')).setupCluster(ctx.config(), o.retention, ctx.json);
          const [{ createLogger }, { ensureTemporalCli }] = await Promise.all([import('../../common/logger'), import('../../server/temporal-cli')]);
          const logger = createLogger(ctx.config().logLevel, 'setup');
          const cli = await ensureTemporalCli(logger);
          if (ctx.json) return printJson({ path: cli.path, source: cli.source });
          print(`${cli.path} (${cli.source})`);
        },
      ),
    );

  program
    .command('worker')
    .description('Run a worker against the configured Temporal server (TEMPORAL_ADDRESS, or the embedded one); its logs are JSON lines on stderr')
    .option('--json', 'accepted for symmetry: the worker prints nothing on stdout, and its logs are JSON already')
    .action(action(z.object({}), async () => (await import('../../worker/main')).runWorker()));
}
