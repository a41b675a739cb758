/**
 * A self-hosted Temporal cluster: `setup --cluster` prepares one for tourniquet, `cluster
 * build` and `cluster up` run the tested topology on this machine (see docs/operations.md).
 */
import { chmodSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import type { Config } from '../../common/config';
import { Problem } from '../../common/errors';
import { TEMPORAL_SERVER_VERSION } from '../../server/cluster/version';
import { action, print, printJson } from '../command';

/**
 * `tourniquet setup --cluster`: on the server TEMPORAL_ADDRESS names, create the namespace
 * when it is missing (with `retention`) and register tourniquet's search attributes. Safe to
 * rerun: what exists is left alone.
 */
export async function setupCluster(config: Config, retention: string, json: boolean): Promise<void> {
  if (!config.server.external)
    throw new Problem(
      'InvalidInput',
      'setup --cluster acts on the server named by TEMPORAL_ADDRESS: set it (the embedded dev server registers its search attributes itself)',
    );
  const [{ connectClient }, { ensureNamespace, registerSearchAttributes }] = await Promise.all([
    import('../../client/temporal'),
    import('../../server/cluster'),
  ]);
  const client = await connectClient(config);
  try {
    const { namespace, address } = config.server;
    const created = await ensureNamespace(client.connection, namespace, retention).catch((err: Error) => {
      throw new Problem(
        'ServerUnreachable',
        `could not describe or create namespace ${namespace} at ${address}: ${err.message.split('\n')[0]} (on Temporal Cloud, create the namespace in the Cloud UI or with tcld first)`,
      );
    });
    const attributes = await registerSearchAttributes(client.connection, namespace).catch((err: Error) => {
      throw new Problem('ServerUnreachable', `could not register search attributes in ${namespace} at ${address}: ${err.message.split('\n')[0]}`);
    });
    if (json) return printJson({ address, namespace, created: created === 'created', ...attributes });
    print(`namespace ${namespace} at ${address}: ${created === 'created' ? `created (retention ${retention})` : 'exists'}`);
    print(
      `search attributes: ${attributes.added.length ? `registered ${attributes.added.join(', ')}` : 'none missing'}${attributes.present.length ? `; already there: ${attributes.present.join(', ')}` : ''}`,
    );
  } finally {
    await client.connection.close();
  }
}

export function registerClusterCommands(program: Command): void {
  const cluster = program
    .command('cluster')
    .description(`A self-hosted Temporal ${TEMPORAL_SERVER_VERSION} cluster on PostgreSQL on this machine, the topology CI tests`);

  cluster
    .command('build')
    .description('Build the Temporal server and its schema tool from the Go module into .tools/ (a no-op once built; needs Go)')
    .action(
      action(z.object({}), async (ctx) => {
        const [{ createLogger }, { ensureClusterBinaries }] = await Promise.all([import('../../common/logger'), import('../../server/cluster')]);
        const logger = createLogger(ctx.config().logLevel, 'cluster');
        const built = await ensureClusterBinaries(logger);
        print(`${built.server}\n${built.sql}\n${built.built ? `built in ${(built.ms / 1000).toFixed(1)} s` : 'already built'}`);
      }),
    );

  cluster
    .command('up')
    .description('Start PostgreSQL and the four Temporal services on 127.0.0.1 in a new data folder, print TEMPORAL_ADDRESS; Ctrl-C stops them')
    .option('--dir <dir>', 'an empty folder for the data, config and logs (default: a new temporary folder)')
    .option('--retention <duration>', 'namespace retention', '24h')
    .option('--json', 'print {address, namespace, dir, ports} as one JSON line when ready')
    .action(
      action(
        z.object({ dir: z.string().min(1).optional(), retention: z.string().regex(/^\d+[hm]$/, 'a duration in hours or minutes, like 24h') }),
        async (ctx, o) => {
          const [{ createLogger }, { ensureClusterBinaries, startLocalCluster }] = await Promise.all([
            import('../../common/logger'),
            import('../../server/cluster'),
          ]);
          const config = ctx.config();
          const logger = createLogger(config.logLevel, 'cluster');
          const binaries = await ensureClusterBinaries(logger);
          const dir = o.dir ? resolve(o.dir) : mkdtempSync(join(tmpdir(), 'tourniquet-cluster-'));
          mkdirSync(dir, { recursive: true });
          // As root, PostgreSQL runs as the postgres user, who must be able to reach the folder.
          if (!o.dir) chmodSync(dir, 0o711);
          const running = await startLocalCluster({ dir, binaries, logger, namespace: config.server.namespace, retention: o.retention });
          const { address, namespace, ports } = running;
          if (ctx.json) process.stdout.write(`${JSON.stringify({ address, namespace, dir, ports })}\n`);
          else print(`Temporal cluster ready: TEMPORAL_ADDRESS=${address} (namespace ${namespace}); data, config and logs in ${dir}. Ctrl-C to stop.`);
          await new Promise<void>((done) => {
            process.once('SIGINT', done);
            process.once('SIGTERM', done);
          });
          await running.stop();
        },
      ),
    );
}
