/**
 * The demo's "agent gateway": a tiny HTTP service that reads its API key from an env file
 * at start, as a self-hosted agent gateway does. `/health` answers 200 while it has a key.
 * Each start appends a line to the starts file, so tests can count starts.
 *
 *   node --import tsx demo/gateway.ts --env <file> --port <n> --starts <file>
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { fingerprint } from '../common/hash';
import { readEnvValue } from '../activities/rotate';

const { values } = parseArgs({
  options: { env: { type: 'string' }, port: { type: 'string' }, starts: { type: 'string' } },
});
if (!values.env || !values.port || !values.starts) {
  console.error('usage: gateway --env <env file> --port <port> --starts <file>');
  process.exit(2);
}
const key = readEnvValue(readFileSync(values.env, 'utf8'), 'AGENT_API_KEY');
appendFileSync(values.starts, `${new Date().toISOString()} pid=${process.pid} key=${key ? fingerprint(key) : 'none'}\n`);

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/health') {
    res.writeHead(key ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: key ? 'ok' : 'no api key', key: key ? fingerprint(key) : null }));
    return;
  }
  res.writeHead(404).end();
});
server.listen(Number(values.port), '127.0.0.1', () => console.log(`gateway listening on 127.0.0.1:${values.port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
