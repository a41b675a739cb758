/**
 * A loopback TCP proxy in front of a real server that can hold chosen HTTP requests: the
 * request is read but never passed on, so its caller waits at a known point of its work. A
 * crash test uses it to stop a step between its write and its proof and kill the worker
 * there, deterministically. Everything else (WebSocket frames included) passes through as
 * bytes, unchanged.
 */
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';

export interface HoldProxy {
  port: number;
  /** Requests held so far. */
  held(): number;
  /** Resolves at the next held request. */
  nextHold(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `hold(head)` sees the start of every HTTP request a client sends (its request line and
 * headers); `true` holds that request and everything its connection sends afterwards.
 */
export async function holdProxy(targetPort: number, hold: (head: string) => boolean): Promise<HoldProxy> {
  let held = 0;
  let waiters: (() => void)[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    let holding = false;
    client.on('data', (chunk: Buffer) => {
      if (holding) return;
      // An HTTP request starts with its method; after an upgrade, WebSocket frames never do.
      const head = chunk.subarray(0, 2048).toString('latin1');
      if (/^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) \//.test(head) && hold(head)) {
        holding = true;
        held++;
        for (const w of waiters) w();
        waiters = [];
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    held: () => held,
    nextHold: () => new Promise((r) => waiters.push(r)),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
