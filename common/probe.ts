/** Small checks of the local world that several layers make: is a port answering, is a file runnable. */
import { accessSync, constants } from 'node:fs';
import { createConnection } from 'node:net';

/** Whether something accepts TCP connections on `host:port` right now. */
export function portAccepts(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Whether `path` is a file this process may execute. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
