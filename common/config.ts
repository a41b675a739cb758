/**
 * Runtime configuration, from the environment. `loadConfig(env)` takes the environment as an
 * argument so tests pass their own.
 */
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { formatIssues } from '../contract/issues';
import { Problem } from './errors';
import { Secret } from './secret';

/** A yes/no environment variable: true, 1 or yes; unset is false. */
export const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const port = z.coerce.number().int().min(1).max(65535);

const envSchema = z.object({
  /** State folder: the embedded server's database, incidents, evidence, snapshots. */
  TOURNIQUET_HOME: z.string().min(1).optional(),
  /** Task queue the worker polls and incidents are started on. */
  TOURNIQUET_TASK_QUEUE: z.string().min(1).default('tourniquet'),
  /** gRPC port of the embedded dev server. */
  TOURNIQUET_SERVER_PORT: port.default(7233),
  /** Web UI port of the embedded dev server. */
  TOURNIQUET_UI_PORT: port.default(8233),
  /** Web UI of the server incidents run on, for printed links (default: the embedded server's, on TOURNIQUET_UI_PORT). */
  TOURNIQUET_UI_URL: z.url().optional(),
  /** The inventory: everything playbooks may act on. */
  TOURNIQUET_INVENTORY: z.string().min(1).optional(),
  /** A folder of your own playbooks, searched before the built-in ones. */
  TOURNIQUET_PLAYBOOKS: z.string().min(1).optional(),
  /** The approver store (enrolled approvers' secrets); default `approvers.json` in the state folder. */
  TOURNIQUET_APPROVERS: z.string().min(1).optional(),
  /** pino level for tourniquet's own logs. */
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  /** Path of a Temporal CLI binary to use for the embedded server. */
  TEMPORAL_CLI: z.string().min(1).optional(),
  /** An existing Temporal server (`host:port`). When set, nothing embedded is started. */
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'must be host:port, e.g. temporal.internal:7233')
    .optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** Use TLS towards TEMPORAL_ADDRESS (implied by a client certificate or an API key). */
  TEMPORAL_TLS: flag,
  TEMPORAL_TLS_CLIENT_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  /** Temporal Cloud API key. Never logged. */
  TEMPORAL_API_KEY: z.string().min(1).optional(),
});

export interface Config {
  home: string;
  taskQueue: string;
  inventoryFile: string;
  /** The approver store the worker checks proofs against (mode 0600). */
  approversFile: string;
  playbooksDir: string | undefined;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  temporalCli: string | undefined;
  server: {
    /** True when TEMPORAL_ADDRESS names an existing server: start nothing. */
    external: boolean;
    address: string;
    namespace: string;
    port: number;
    uiPort: number;
    /** Where the Web UI is, for links: TOURNIQUET_UI_URL, else the embedded server's; none for an external server without it. */
    uiUrl: string | undefined;
    tls?: { clientCertPath?: string; clientKeyPath?: string; serverCaPath?: string; serverName?: string };
    apiKey?: Secret;
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new Problem('InvalidInput', `bad environment: ${formatIssues(parsed.error).join('; ')}`);
  }
  const e = parsed.data;
  if (Boolean(e.TEMPORAL_TLS_CLIENT_CERT_PATH) !== Boolean(e.TEMPORAL_TLS_CLIENT_KEY_PATH)) {
    throw new Problem('InvalidInput', 'set both TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH, or neither');
  }
  const tls = e.TEMPORAL_TLS || e.TEMPORAL_TLS_CLIENT_CERT_PATH || e.TEMPORAL_API_KEY || e.TEMPORAL_TLS_SERVER_CA_CERT_PATH;
  const home = resolve(cwd, e.TOURNIQUET_HOME ?? '.tourniquet');
  return {
    home,
    approversFile: resolve(cwd, e.TOURNIQUET_APPROVERS ?? join(home, 'approvers.json')),
    taskQueue: e.TOURNIQUET_TASK_QUEUE,
    inventoryFile: resolve(cwd, e.TOURNIQUET_INVENTORY ?? 'tourniquet.yaml'),
    playbooksDir: e.TOURNIQUET_PLAYBOOKS ? resolve(cwd, e.TOURNIQUET_PLAYBOOKS) : undefined,
    logLevel: e.LOG_LEVEL,
    temporalCli: e.TEMPORAL_CLI,
    server: {
      external: e.TEMPORAL_ADDRESS !== undefined,
      address: e.TEMPORAL_ADDRESS ?? `127.0.0.1:${e.TOURNIQUET_SERVER_PORT}`,
      namespace: e.TEMPORAL_NAMESPACE,
      port: e.TOURNIQUET_SERVER_PORT,
      uiPort: e.TOURNIQUET_UI_PORT,
      uiUrl: e.TOURNIQUET_UI_URL?.replace(/\/+$/, '') ?? (e.TEMPORAL_ADDRESS === undefined ? `http://localhost:${e.TOURNIQUET_UI_PORT}` : undefined),
      ...(tls
        ? {
            tls: {
              ...(e.TEMPORAL_TLS_CLIENT_CERT_PATH ? { clientCertPath: e.TEMPORAL_TLS_CLIENT_CERT_PATH } : {}),
              ...(e.TEMPORAL_TLS_CLIENT_KEY_PATH ? { clientKeyPath: e.TEMPORAL_TLS_CLIENT_KEY_PATH } : {}),
              ...(e.TEMPORAL_TLS_SERVER_CA_CERT_PATH ? { serverCaPath: e.TEMPORAL_TLS_SERVER_CA_CERT_PATH } : {}),
              ...(e.TEMPORAL_TLS_SERVER_NAME ? { serverName: e.TEMPORAL_TLS_SERVER_NAME } : {}),
            },
          }
        : {}),
      ...(e.TEMPORAL_API_KEY ? { apiKey: new Secret(e.TEMPORAL_API_KEY) } : {}),
    },
  };
}

/** The Web UI page of one incident, when the config knows where the Web UI is. */
export function incidentUrl(server: Pick<Config['server'], 'uiUrl' | 'namespace'>, id: string): string | undefined {
  return server.uiUrl && `${server.uiUrl}/namespaces/${encodeURIComponent(server.namespace)}/workflows/${encodeURIComponent(id)}`;
}
