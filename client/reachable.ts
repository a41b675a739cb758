/**
 * Whether the configured server answers at all, asked with one TCP connection before the
 * Temporal client library loads: a command facing a stopped server says so at once, not
 * after a second of loading gRPC and protobufs and then gRPC's own retries.
 */
import { connect } from 'node:net';
import type { Config } from '../common/config';
import { Problem } from '../common/errors';

/**
 * How long a command waits for the server before it says it is unreachable: the operator at
 * 3 a.m. learns it within 2 s.
 */
export const CONNECT_TIMEOUT_MS = 1_500;

/** The error every command reports for a server it cannot reach, with what to check. */
export function unreachable(server: Config['server'], err: unknown): Problem {
  const hint = server.external
    ? 'check TEMPORAL_ADDRESS and its TLS / API key settings'
    : 'start the embedded server with `tourniquet dev`, or set TEMPORAL_ADDRESS to an existing server';
  return new Problem('ServerUnreachable', `Temporal server unreachable at ${server.address} (${(err as Error).message.split('\n')[0]}): ${hint}`);
}

/** Resolves when a TCP connection to the server's address opens; rejects with `unreachable` otherwise. */
export function assertReachable(server: Config['server'], timeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
  const colon = server.address.lastIndexOf(':');
  const host = server.address.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = Number(server.address.slice(colon + 1));
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const done = (err?: Error) => {
      socket.destroy();
      if (err) reject(unreachable(server, err));
      else resolve();
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`no answer within ${timeoutMs} ms`)));
    socket.once('connect', () => done());
    socket.once('error', (err) => done(err));
  });
}
