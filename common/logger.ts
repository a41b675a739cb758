/**
 * pino for tourniquet's own logs (to stderr, so `--json` output on stdout stays clean), and
 * the bridge that forwards the Temporal SDK's logs into it with `component: "temporal-sdk"`.
 */
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { pino, type Logger } from 'pino';

/** A logger writing JSON lines to stderr, or to `file` (appended, its folder made) for a program whose terminal is for people. */
export function createLogger(level: string, name: string, file?: string): Logger {
  return pino(
    { level, name, redact: { paths: ['*.apiKey', '*.secret', '*.password', '*.token'], censor: '[redacted]' } },
    pino.destination(file ? { dest: file, mkdir: true, sync: true } : 2),
  );
}

let installed = false;

/** Install once per process: the SDK's Runtime can be installed only once. */
export function installRuntimeLogger(logger: Logger): void {
  if (installed) return;
  installed = true;
  const child = logger.child({ component: 'temporal-sdk' });
  const level: LogLevel = logger.levelVal >= 40 ? 'WARN' : 'INFO';
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      const attrs = { ...entry.meta, sdkTime: Number(entry.timestampNanos / 1_000_000n) };
      const message = entry.message;
      switch (entry.level) {
        case 'TRACE':
        case 'DEBUG':
          child.debug(attrs, message);
          break;
        case 'INFO':
          child.info(attrs, message);
          break;
        case 'WARN':
          child.warn(attrs, message);
          break;
        default:
          child.error(attrs, message);
      }
    }),
  });
}
