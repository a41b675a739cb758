/**
 * The server's config for a loopback cluster on PostgreSQL: one file shared by the four
 * service processes, each started with `--service`. Written as JSON, which is YAML too.
 */
export const SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface ClusterPorts {
  postgres: number;
  frontendHttp: number;
  grpc: Record<ServiceName, number>;
  /** Stored in a SMALLINT on SQL persistence: must be <= 32767. */
  membership: Record<ServiceName, number>;
}

export interface ServerConfigInput {
  ports: ClusterPorts;
  dbUser: string;
  dbPassword: string;
  dynamicConfigFile: string;
  /** 4 is plenty for one machine; it cannot be changed once the database exists. */
  numHistoryShards?: number;
  logLevel?: string;
}

function datastore(db: string, o: ServerConfigInput, maxConns: number) {
  return {
    sql: {
      pluginName: 'postgres12',
      databaseName: db,
      connectAddr: `127.0.0.1:${o.ports.postgres}`,
      connectProtocol: 'tcp',
      user: o.dbUser,
      password: o.dbPassword,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  };
}

export function serverConfig(o: ServerConfigInput): object {
  const rpc = (name: ServiceName) => ({
    grpcPort: o.ports.grpc[name],
    membershipPort: o.ports.membership[name],
    bindOnIP: '127.0.0.1',
    ...(name === 'frontend' ? { httpPort: o.ports.frontendHttp } : {}),
  });
  const frontend = `127.0.0.1:${o.ports.grpc.frontend}`;
  return {
    log: { stdout: true, level: o.logLevel ?? 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: o.numHistoryShards ?? 4,
      datastores: { 'postgres-default': datastore('temporal', o, 20), 'postgres-visibility': datastore('temporal_visibility', o, 10) },
    },
    // No metrics block (no-op metrics) and no pprof: no shared listener for four processes to fight over.
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services: Object.fromEntries(SERVICES.map((name) => [name, { rpc: rpc(name) }])),
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: frontend, httpAddress: `127.0.0.1:${o.ports.frontendHttp}` },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    namespaceDefaults: { archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } } },
    dynamicConfigClient: { filepath: o.dynamicConfigFile, pollInterval: '10s' },
  };
}

/**
 * Dynamic config: search attributes usable the moment they are created (no 60 s cache wait),
 * and room for tourniquet's deduplicated incident ids.
 */
export const DYNAMIC_CONFIG = {
  'system.forceSearchAttributesCacheRefreshOnRead': [{ value: true, constraints: {} }],
  'limit.maxIDLength': [{ value: 255, constraints: {} }],
};
