/**
 * A self-hosted Temporal cluster on this machine, everything on 127.0.0.1: a private
 * PostgreSQL, the schemas created with the schema tool as the official images do, and the
 * frontend, history, matching and worker services as four processes of one binary. The
 * processes are children of this one, so a test can SIGKILL and restart each of them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { execa } from 'execa';
import type { Logger } from 'pino';
import { Problem } from '../../common/errors';
import { schemaDirs, type ClusterBinaries } from './build';
import { DYNAMIC_CONFIG, SERVICES, serverConfig, type ClusterPorts, type ServiceName } from './config';
import { ensureNamespace, registerSearchAttributes } from './namespace';
import { lowPorts } from './ports';
import { startPostgres, type Postgres } from './postgres';
import { portAccepts } from '../../common/probe';

export interface ClusterOptions {
  /** An empty folder for the data, config and logs. */
  dir: string;
  binaries: ClusterBinaries;
  logger: Logger;
  namespace?: string;
  /** Namespace retention: how long closed incidents stay readable. */
  retention?: string;
  startupTimeoutMs?: number;
}

export interface ServiceProcess {
  name: ServiceName;
  pid: number | undefined;
  running: boolean;
  logFile: string;
  /** Send `signal` and wait for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Start it again (same ports, same config) and wait until its gRPC port accepts. */
  start(): Promise<void>;
}

export interface LocalCluster {
  /** The frontend: what TEMPORAL_ADDRESS names. */
  address: string;
  namespace: string;
  dir: string;
  ports: ClusterPorts;
  postgres: Postgres;
  services: Record<ServiceName, ServiceProcess>;
  /** Milliseconds per start-up phase, for the figures. */
  timings: Record<string, number>;
  stop(): Promise<void>;
}

async function createSchemas(sql: string, pg: Postgres, logFile: string): Promise<void> {
  const env = { SQL_PLUGIN: 'postgres12', SQL_HOST: '127.0.0.1', SQL_PORT: String(pg.port), SQL_USER: pg.user, SQL_PASSWORD: pg.password };
  // The official auto-setup's order: create, setup-schema -v 0.0, update-schema, for each database.
  // The versioned folders come from the module cache; without it, the copies embedded in the tool.
  const dirs = schemaDirs();
  for (const [db, kind] of [
    ['temporal', 'temporal'],
    ['temporal_visibility', 'visibility'],
  ] as const) {
    const update = dirs ? ['-d', dirs[kind]] : ['--schema-name', `postgresql/v12/${kind}`];
    for (const args of [['create'], ['setup-schema', '-v', '0.0'], ['update-schema', ...update]]) {
      const r = await execa(sql, ['--db', db, ...args], { env, reject: false, all: true });
      appendFileSync(logFile, `$ sql --db ${db} ${args.join(' ')}\n${r.all ?? ''}\n`);
      if (r.exitCode !== 0) throw new Problem('StartupFailed', `schema tool: \`sql --db ${db} ${args[0]}\` exited ${r.exitCode}; see ${logFile}`);
    }
  }
}

export async function startLocalCluster(o: ClusterOptions): Promise<LocalCluster> {
  const timings: Record<string, number> = {};
  let mark = Date.now();
  const lap = (name: string) => {
    timings[name] = Date.now() - mark;
    mark = Date.now();
  };
  const namespace = o.namespace ?? 'default';
  const timeoutMs = o.startupTimeoutMs ?? 120_000;
  const logs = join(o.dir, 'logs');
  mkdirSync(logs, { recursive: true });

  const [pgPort, http, ...rest] = await lowPorts(2 + 2 * SERVICES.length);
  const ports: ClusterPorts = {
    postgres: pgPort!,
    frontendHttp: http!,
    grpc: Object.fromEntries(SERVICES.map((s, i) => [s, rest[i]!])) as Record<ServiceName, number>,
    membership: Object.fromEntries(SERVICES.map((s, i) => [s, rest[SERVICES.length + i]!])) as Record<ServiceName, number>,
  };

  const postgres = await startPostgres({ dir: o.dir, port: ports.postgres, logger: o.logger });
  lap('postgres');
  const children = new Map<ServiceName, ChildProcess>();
  // If this process dies, do not leave the cluster behind.
  const orphanGuard = () => {
    for (const child of children.values()) child.kill('SIGKILL');
    postgres.stopNowSync();
  };
  process.once('exit', orphanGuard);

  try {
    await createSchemas(o.binaries.sql, postgres, join(logs, 'schema.log'));
    lap('schemas');

    const dynamicConfigFile = join(o.dir, 'dynamicconfig.yaml');
    writeFileSync(dynamicConfigFile, JSON.stringify(DYNAMIC_CONFIG, null, 2));
    const configFile = join(o.dir, 'temporal.yaml');
    writeFileSync(configFile, JSON.stringify(serverConfig({ ports, dbUser: postgres.user, dbPassword: postgres.password, dynamicConfigFile }), null, 2), {
      mode: 0o600,
    });

    const service = (name: ServiceName): ServiceProcess => {
      const logFile = join(logs, `${name}.log`);
      const handle: ServiceProcess = {
        name,
        logFile,
        get pid() {
          return children.get(name)?.pid;
        },
        get running() {
          const c = children.get(name);
          return !!c && c.exitCode === null && c.signalCode === null;
        },
        async kill(signal = 'SIGTERM') {
          const child = children.get(name);
          if (!child || child.exitCode !== null || child.signalCode !== null) return;
          const exited = new Promise((r) => child.once('exit', r));
          child.kill(signal);
          await exited;
        },
        async start() {
          if (handle.running) return;
          appendFileSync(logFile, `--- start ${new Date().toISOString()}\n`);
          const out = openSync(logFile, 'a');
          const child = spawn(o.binaries.server, ['--config-file', configFile, '--allow-no-auth', 'start', '--service', name], { stdio: ['ignore', out, out] });
          closeSync(out);
          children.set(name, child);
          const deadline = Date.now() + timeoutMs;
          while (!(await portAccepts(ports.grpc[name]))) {
            if (child.exitCode !== null || child.signalCode !== null)
              throw new Problem('StartupFailed', `Temporal ${name} exited at start (${child.exitCode ?? child.signalCode}); see ${logFile}`);
            if (Date.now() > deadline)
              throw new Problem(
                'StartupFailed',
                `Temporal ${name} did not listen on 127.0.0.1:${ports.grpc[name]} within ${timeoutMs / 1000}s; see ${logFile}`,
              );
            await new Promise((r) => setTimeout(r, 100));
          }
        },
      };
      return handle;
    };
    const services = Object.fromEntries(SERVICES.map((s) => [s, service(s)])) as Record<ServiceName, ServiceProcess>;

    // On an empty database the first process to start writes the cluster metadata; started
    // together, the others may lose that race and exit. History first, then the rest.
    await services.history.start();
    await Promise.all([services.matching.start(), services.frontend.start(), services.worker.start()]);
    lap('services');

    const address = `127.0.0.1:${ports.grpc.frontend}`;
    const connection = await Connection.connect({ address, connectTimeout: 10_000 });
    try {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        try {
          await ensureNamespace(connection, namespace, o.retention ?? '24h');
          break;
        } catch (err) {
          if (Date.now() > deadline)
            throw new Problem('StartupFailed', `could not register namespace ${namespace} at ${address}: ${(err as Error).message}; see ${logs}`);
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      await registerSearchAttributes(connection, namespace);
    } finally {
      await connection.close();
    }
    lap('namespace');
    o.logger.info({ address, namespace, timings }, 'Temporal cluster ready');

    return {
      address,
      namespace,
      dir: o.dir,
      ports,
      postgres,
      services,
      timings,
      async stop() {
        await Promise.all(SERVICES.map((s) => services[s].kill('SIGTERM')));
        await postgres.stop().catch((err: Error) => o.logger.warn({ err: err.message }, 'PostgreSQL did not stop cleanly'));
        process.off('exit', orphanGuard);
      },
    };
  } catch (err) {
    for (const child of children.values()) child.kill('SIGKILL');
    await postgres.stop().catch(() => {});
    process.off('exit', orphanGuard);
    throw err;
  }
}
