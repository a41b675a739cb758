/**
 * Local HTTP endpoints that let a test see concurrency in the world: a credential revocation
 * API that counts the requests it holds at once, and a chat webhook that answers late.
 */
import { createServer, type Server } from 'node:http';

export interface Revoker {
  url: string;
  /** Requests held right now, and the most ever held at once. */
  inFlight(): number;
  maxInFlight(): number;
  /** Every request for a token, in arrival order, with what it was answered. */
  requests: { token: string; status: number }[];
  /** Tokens revoked (answered 200), each once: a later request for one is answered 404. */
  revoked: string[];
  close(): void;
}

/**
 * `holdMs`: how long each request is held before its answer (so requests overlap);
 * `failures(token, n)`: answer the n-th request (1-based) for a token with 503 instead.
 */
export async function revoker(o: { holdMs: number; failures?: (token: string, n: number) => boolean }): Promise<Revoker> {
  let inFlight = 0;
  let max = 0;
  const requests: Revoker['requests'] = [];
  const revoked: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      inFlight++;
      max = Math.max(max, inFlight);
      const token = String((JSON.parse(body || '{}') as { token?: unknown }).token);
      const n = requests.filter((r) => r.token === token).length + 1;
      setTimeout(() => {
        inFlight--;
        const status = o.failures?.(token, n) ? 503 : revoked.includes(token) ? 404 : 200;
        if (status === 200) revoked.push(token);
        requests.push({ token, status });
        res.writeHead(status).end();
      }, o.holdMs);
    });
  });
  await listen(server);
  return {
    url: `${base(server)}/revoke`,
    inFlight: () => inFlight,
    maxInFlight: () => max,
    requests,
    revoked,
    close: () => void server.close(),
  };
}

export interface SlowHook {
  url: string;
  /** When each request arrived and when it was answered (ms since the epoch). */
  calls: { arrived: number; answered?: number }[];
  close(): void;
}

/** A webhook that answers 200 only after `delayMs`: a chat service having a bad day. */
export async function slowHook(delayMs: number): Promise<SlowHook> {
  const calls: SlowHook['calls'] = [];
  const server: Server = createServer((req, res) => {
    const call: SlowHook['calls'][number] = { arrived: Date.now() };
    calls.push(call);
    req.resume();
    const timer = setTimeout(() => {
      call.answered = Date.now();
      res.writeHead(200).end('ok');
    }, delayMs);
    res.on('close', () => clearTimeout(timer));
  });
  await listen(server);
  return {
    url: `${base(server)}/hook`,
    calls,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

async function listen(server: Server): Promise<void> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
}

function base(server: Server): string {
  const a = server.address();
  return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
}
