/** Connections to the Temporal server named by the config, with errors that say where. */
import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { Config } from '../common/config';
import { Problem } from '../common/errors';

function tlsOptions(server: Config['server']) {
  if (!server.tls) return undefined;
  const t = server.tls;
  return {
    ...(t.serverName ? { serverNameOverride: t.serverName } : {}),
    ...(t.serverCaPath ? { serverRootCACertificate: readFileSync(t.serverCaPath) } : {}),
    ...(t.clientCertPath && t.clientKeyPath ? { clientCertPair: { crt: readFileSync(t.clientCertPath), key: readFileSync(t.clientKeyPath) } } : {}),
  };
}

function unreachable(server: Config['server'], err: unknown): Problem {
  const hint = server.external
    ? 'check TEMPORAL_ADDRESS and its TLS / API key settings'
    : 'start the embedded server with `tourniquet dev`, or set TEMPORAL_ADDRESS to an existing server';
  return new Problem('ServerUnreachable', `Temporal server unreachable at ${server.address} (${(err as Error).message.split('\n')[0]}): ${hint}`);
}

/**
 * A client of the configured server. `lazy`: connect on first use instead of now, for a
 * long-running process (the intake) that must start, and answer 503, while the server is down.
 */
export async function connectClient(config: Config, { lazy = false }: { lazy?: boolean } = {}): Promise<Client> {
  const { server } = config;
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
  const options: NativeConnectionOptions = { address: server.address };
  const tls = tlsOptions(server);
  if (tls) options.tls = tls;
  if (server.apiKey) options.apiKey = server.apiKey.reveal();
  try {
    return await NativeConnection.connect(options);
  } catch (err) {
    throw unreachable(server, err);
  }
}
