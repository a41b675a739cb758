/** A local HTTP endpoint for a test file: records each request, answers with `status(url)`. */
import { createServer, type Server } from 'node:http';

export interface Received {
  method: string;
  url: string;
  authorization?: string;
  body: string;
}

export interface Endpoint {
  base: string;
  received: Received[];
  close(): void;
}

export async function endpoint(status: (url: string) => number, reply = 'ok'): Promise<Endpoint> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), body });
      res.writeHead(status(req.url ?? '')).end(reply);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  return { base: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`, received, close: () => void server.close() };
}
