/**
 * A local credential revocation API that lets a test see concurrency in the world: it counts
 * the requests it holds at once for callers still connected. A request whose caller went away
 * (a worker killed mid-request) is still carried out, as a real API would, but is no longer
 * in flight for anyone: the engine's limit is about the calls it has open.
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
      let open = true;
      const done = () => {
        if (open) inFlight--;
        open = false;
      };
      res.once('close', done);
      setTimeout(() => {
        done();
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

async function listen(server: Server): Promise<void> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
}

function base(server: Server): string {
  const a = server.address();
  return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
}
