/**
 * A connection to an OpenClaw gateway over its own WebSocket RPC protocol (v4), the fast
 * control path: ~0.1 s a call, where each `openclaw …` CLI call costs 1–26 s and 200–300 MB.
 * It runs on tourniquet's Node; only the gateway needs Node 24.
 *
 * Handshake: the gateway sends a `connect.challenge` event; we answer with a `connect`
 * request as a trusted local backend (`client.id: "gateway-client"`, `mode: "backend"`),
 * which on a loopback connection with the shared gateway token needs no device pairing and
 * gets the operator scopes asked for.
 *
 * @example
 * const gw = await connectGateway({ url: 'ws://127.0.0.1:18789', token });
 * try {
 *   const jobs = await gw.call('cron.list', { includeDisabled: true });
 * } finally {
 *   await gw.close();
 * }
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';

export const GATEWAY_PROTOCOL_VERSION = 4;

export const OPERATOR_SCOPES = ['operator.read', 'operator.write', 'operator.admin'] as const;

/** An error the gateway answered with (`{ ok: false, error }`), or a transport failure. */
export class GatewayRpcError extends Error {
  constructor(
    /** The method called (`connect` for the handshake). */
    readonly method: string,
    /** The gateway's error code (`INVALID_REQUEST`, `UNAVAILABLE`, …), or `TRANSPORT`/`TIMEOUT`. */
    readonly code: string,
    message: string,
    /** The gateway's `error.details`, e.g. `{ code: "AUTH_TOKEN_MISMATCH" }`. */
    readonly details?: Record<string, unknown>,
  ) {
    super(`${method}: ${code}: ${message}`);
    this.name = 'GatewayRpcError';
  }

  /** The gateway refused the credential (wrong or rotated token). */
  get isAuthFailure(): boolean {
    const detail = typeof this.details?.code === 'string' ? this.details.code : '';
    return detail.startsWith('AUTH_') || /unauthori[sz]ed/i.test(this.message);
  }
}

export interface ConnectOptions {
  /** `ws://127.0.0.1:<port>` */
  url: string;
  token: string;
  scopes?: readonly string[];
  /** For the handshake, including retries while the gateway finishes starting. */
  timeoutMs?: number;
}

export interface GatewayConnection {
  /** What the gateway answered to `connect` (`hello-ok`: server, features, auth, policy). */
  hello: HelloOk;
  /** Call one method; rejects with {@link GatewayRpcError}. */
  call<T = unknown>(method: string, params?: unknown, timeoutMs?: number): Promise<T>;
  /** Events received so far (`{ event, payload }`), newest last; capped at 500. */
  events: { event: string; payload: unknown }[];
  close(): Promise<void>;
}

export interface HelloOk {
  type: 'hello-ok';
  protocol: number;
  server: { version?: string; connId?: string };
  features: { methods: string[]; events: string[] };
  auth: { role: string; scopes: string[] };
  [key: string]: unknown;
}

interface ResponseFrame {
  type: 'res';
  id: string;
  ok: boolean;
  payload?: unknown;
  error?: { code?: string; message?: string; details?: Record<string, unknown> };
}

/**
 * Open a connection and complete the handshake. While the gateway is still starting its
 * sidecars it answers `UNAVAILABLE` (`details.reason: "startup-sidecars"`): retried until
 * `timeoutMs`. An auth failure is not retried.
 */
export async function connectGateway(options: ConnectOptions): Promise<GatewayConnection> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    try {
      return await connectOnce(options, Math.max(1_000, deadline - Date.now()));
    } catch (error) {
      const retryable = error instanceof GatewayRpcError && error.code === 'UNAVAILABLE';
      if (!retryable || Date.now() > deadline) throw error;
      const wait = Number((error.details?.retryAfterMs as number | undefined) ?? 500);
      await new Promise((resolve) => setTimeout(resolve, Math.min(Math.max(wait, 100), 2_000)));
    }
  }
}

function connectOnce(options: ConnectOptions, timeoutMs: number): Promise<GatewayConnection> {
  const socket = new WebSocket(options.url, { maxPayload: 64 * 1024 * 1024, handshakeTimeout: timeoutMs });
  const pending = new Map<string, { method: string; resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  const events: { event: string; payload: unknown }[] = [];
  let closedError: Error | undefined;

  const failAll = (error: Error) => {
    closedError ??= error;
    for (const [id, entry] of pending) {
      clearTimeout(entry.timer);
      entry.reject(error);
      pending.delete(id);
    }
  };

  const call = <T>(method: string, params: unknown = {}, callTimeoutMs = 60_000): Promise<T> => {
    if (closedError) return Promise.reject(closedError);
    const id = randomUUID();
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new GatewayRpcError(method, 'TIMEOUT', `no answer within ${callTimeoutMs} ms`));
      }, callTimeoutMs);
      pending.set(id, { method, resolve: resolve as (value: unknown) => void, reject, timer });
      socket.send(JSON.stringify({ type: 'req', id, method, params }), (error) => {
        if (error) failAll(new GatewayRpcError(method, 'TRANSPORT', error.message));
      });
    });
  };

  return new Promise<GatewayConnection>((resolve, reject) => {
    const handshakeTimer = setTimeout(() => {
      socket.terminate();
      reject(new GatewayRpcError('connect', 'TIMEOUT', `no hello from ${options.url} within ${timeoutMs} ms: is the gateway running and ready (/readyz)?`));
    }, timeoutMs);
    let connectSent = false;

    socket.on('message', (data) => {
      let frame: { type?: string; event?: string; payload?: unknown; id?: string; ok?: boolean; error?: ResponseFrame['error'] };
      try {
        frame = JSON.parse(String(data)) as typeof frame;
      } catch {
        return;
      }
      if (frame.type === 'event') {
        if (frame.event === 'connect.challenge' && !connectSent) {
          connectSent = true;
          call<HelloOk>('connect', connectParams(options), timeoutMs).then(
            (hello) => {
              clearTimeout(handshakeTimer);
              resolve({ hello, call, events, close: () => closeSocket(socket) });
            },
            (error: Error) => {
              clearTimeout(handshakeTimer);
              socket.terminate();
              reject(error);
            },
          );
          return;
        }
        events.push({ event: frame.event ?? '', payload: frame.payload });
        if (events.length > 500) events.shift();
        return;
      }
      if (frame.type === 'res' && typeof frame.id === 'string') {
        const entry = pending.get(frame.id);
        if (!entry) return;
        pending.delete(frame.id);
        clearTimeout(entry.timer);
        if (frame.ok) entry.resolve(frame.payload);
        else entry.reject(new GatewayRpcError(entry.method, frame.error?.code ?? 'ERROR', frame.error?.message ?? 'request failed', frame.error?.details));
      }
    });
    socket.on('error', (error) => {
      const wrapped = new GatewayRpcError('connect', 'TRANSPORT', `${options.url}: ${error.message}`);
      failAll(wrapped);
      clearTimeout(handshakeTimer);
      reject(wrapped);
    });
    socket.on('close', (code, reason) => {
      const error = new GatewayRpcError('connect', 'TRANSPORT', `connection closed (${code}${reason.length ? `: ${String(reason)}` : ''})`);
      failAll(error);
      clearTimeout(handshakeTimer);
      reject(error);
    });
  });
}

function connectParams(options: ConnectOptions) {
  return {
    minProtocol: GATEWAY_PROTOCOL_VERSION,
    maxProtocol: GATEWAY_PROTOCOL_VERSION,
    client: { id: 'gateway-client', version: '0.1.0', platform: process.platform, mode: 'backend' },
    role: 'operator',
    scopes: [...(options.scopes ?? OPERATOR_SCOPES)],
    caps: [],
    commands: [],
    permissions: {},
    auth: { token: options.token },
    userAgent: 'tourniquet',
  };
}

function closeSocket(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.terminate();
      resolve();
    }, 2_000);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.close();
  });
}

/** Connect, run `fn`, always close. */
export async function withGateway<T>(options: ConnectOptions, fn: (gateway: GatewayConnection) => Promise<T>): Promise<T> {
  const gateway = await connectGateway(options);
  try {
    return await fn(gateway);
  } finally {
    await gateway.close();
  }
}
