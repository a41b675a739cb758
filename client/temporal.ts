/** Connections to the Temporal server named by the config, with errors that say where. */
import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import type { NativeConnection, NativeConnectionOptions } from '@temporalio/worker';
import type { Config } from '../common/config';
import { unreachable } from './reachable';

function tlsOptions(server: Config['server']) {
  if (!server.tls) return undefined;
  const t = server.tls;
  return {
    ...(t.serverName ? { serverNameOverride: t.serverName } : {}),
    ...(t.serverCaPath ? { serverRootCACertificate: readFileSync(t.serverCaPath) } : {}),
    ...(t.clientCertPath && t.clientKeyPath ? { clientCertPair: { crt: readFileSync(t.clientCertPath), key: readFileSync(t.clientKeyPath) } } : {}),
  };
}

/**
 * A client of the configured server. `lazy`: connect on first use instead of now, for a
 * long-running process (the intake) that must start, and answer 503, while the server is down.
 */
export async function connectClient(config: Config, { lazy = false }: { lazy?: boolean } = {}): Promise<Client> {
  const { server } = config;
  // The CLI's TCP probe (reachable.ts) already answered for a stopped server within 2 s; this
  // budget is for a server that listens but is slow to answer (a loaded machine, TLS, a WAN).
  const options: ConnectionOptions = { address: server.address, connectTimeout: 5_000 };
  const tls = tlsOptions(server);
  if (tls) options.tls = tls;
  if (server.apiKey) options.apiKey = server.apiKey.reveal();
  if (lazy) return new Client({ connection: Connection.lazy(options), namespace: server.namespace });
  try {
    const connection = await Connection.connect(options);
    return new Client({ connection, namespace: server.namespace });
  } catch (err) {
    throw unreachable(server, err);
  }
}

export async function connectWorker(config: Config): Promise<NativeConnection> {
  const { server } = config;
  // Loaded here, not at the top: the CLI's client commands never pay for the worker's native module.
  const worker = await import('@temporalio/worker');
  const options: NativeConnectionOptions = { address: server.address };
  const tls = tlsOptions(server);
  if (tls) options.tls = tls;
  if (server.apiKey) options.apiKey = server.apiKey.reveal();
  try {
    return await worker.NativeConnection.connect(options);
  } catch (err) {
    throw unreachable(server, err);
  }
}
