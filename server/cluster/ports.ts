/**
 * Ports for a local cluster, chosen at run time from 20000-32000. Below 32768 on purpose:
 * membership ports are stored in a SMALLINT column on SQL persistence (a larger one makes every
 * service exit at start), and nothing outside Linux's ephemeral range (32768-60999) can be
 * squatted by an outgoing connection between the check and the bind, or across a restart.
 */
import { createServer } from 'node:net';

const LOW = 20_000;
const HIGH = 32_000;

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** `count` distinct free loopback ports below 32768. */
export async function lowPorts(count: number): Promise<number[]> {
  const chosen = new Set<number>();
  for (let tries = 0; chosen.size < count; tries++) {
    if (tries > 2_000) throw new Error(`no ${count} free ports found in ${LOW}-${HIGH} on 127.0.0.1`);
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (!chosen.has(port) && (await bindable(port))) chosen.add(port);
  }
  return [...chosen];
}
