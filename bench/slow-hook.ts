/** A chat webhook that answers late, for benchmarks and tests of a slow announcement channel. */
import { createServer, type Server } from 'node:http';

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
  const url = `${await listenLocal(server)}/hook`;
  return {
    url,
    calls,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

function base(server: Server): string {
  const a = server.address();
  return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
}

async function listenLocal(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return base(server);
}
