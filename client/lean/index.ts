/**
 * The lean read-only client: `list` and `status` ask the server directly (wire.ts) instead of
 * loading the Temporal SDK, and give the same answers. Whatever it cannot read for certain (a
 * payload in an encoding other than JSON, an error other than "not found", an odd response)
 * it hands back as `undefined`: the caller asks again through the SDK, never guesses.
 */
import type { Config } from '../../common/config';
import { SEARCH_ATTRIBUTES } from '../../contract/names';
import type { ExecutionSummary } from '../listing';
import { unknownIncident } from '../problems';
import type { LeanDescriptorFile } from './descriptor';
import { GrpcStatusError, NotLean, openWire } from './wire';

export interface LeanClient {
  /** Up to `limit` executions matching the visibility query, newest first; undefined: ask the SDK. */
  list(query: string, limit: number): Promise<ExecutionSummary[] | undefined>;
  /** The workflow's answer to a query without arguments, in `value`; undefined: ask the SDK. */
  query(workflowId: string, queryType: string): Promise<{ value: unknown } | undefined>;
  close(): void;
}

/**
 * The lean client of the configured server, or undefined when it has no schema (not built, or
 * built from another @temporalio/proto). `descriptor`: a schema cut to use instead (tests).
 */
export function openLeanClient(server: Config['server'], descriptor?: LeanDescriptorFile): LeanClient | undefined {
  const wire = openWire(server, descriptor);
  if (!wire) return undefined;
  const namespace = server.namespace;
  return {
    list: (query, limit) =>
      orSdk(async () => {
        const out: ExecutionSummary[] = [];
        let nextPageToken: Uint8Array = new Uint8Array();
        do {
          const page = (await wire.call('ListWorkflowExecutions', { namespace, query, pageSize: limit, nextPageToken })) as ListResponse;
          for (const raw of page.executions ?? []) {
            out.push(summary(raw));
            if (out.length >= limit) return out;
          }
          nextPageToken = page.nextPageToken ?? new Uint8Array();
        } while (nextPageToken.length);
        return out;
      }),
    query: (workflowId, queryType) =>
      orSdk(async () => {
        try {
          const r = (await wire.call('QueryWorkflow', {
            namespace,
            execution: { workflowId },
            query: { queryType, queryArgs: { payloads: [] }, header: { fields: {} } },
          })) as QueryResponse;
          // A rejected query, or an answer without a result: the SDK's errors say it best.
          if (r.queryRejected || !r.queryResult) throw new NotLean('query not answered');
          return { value: decode(r.queryResult.payloads?.[0]) };
        } catch (err) {
          if (err instanceof GrpcStatusError && err.code === NOT_FOUND) throw unknownIncident(workflowId);
          throw err;
        }
      }),
    close: () => wire.close(),
  };
}

const NOT_FOUND = 5;

/** The value, or undefined (ask the SDK) for anything the lean client does not read for certain. */
async function orSdk<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof NotLean || err instanceof GrpcStatusError) return undefined;
    throw err;
  }
}

interface Payload {
  metadata?: Record<string, Uint8Array>;
  data?: Uint8Array;
}
interface RawExecution {
  execution?: { workflowId?: string };
  status?: number;
  startTime?: { seconds?: number | { toNumber(): number }; nanos?: number };
  memo?: { fields?: Record<string, Payload> };
  searchAttributes?: { indexedFields?: Record<string, Payload> };
}
interface ListResponse {
  executions?: RawExecution[];
  nextPageToken?: Uint8Array;
}
interface QueryResponse {
  queryResult?: { payloads?: Payload[] };
  queryRejected?: unknown;
}

/** The SDK's names of the execution statuses (it spells CANCELED as CANCELLED), by number. */
const STATUS = ['UNSPECIFIED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'CONTINUED_AS_NEW', 'TIMED_OUT', 'PAUSED'];

function summary(raw: RawExecution): ExecutionSummary {
  const seconds = raw.startTime?.seconds;
  if (!raw.execution?.workflowId || seconds === undefined) throw new NotLean('execution without id or start time');
  const ms = (typeof seconds === 'number' ? seconds : seconds.toNumber()) * 1000 + Math.floor((raw.startTime?.nanos ?? 0) / 1e6);
  const memo: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(raw.memo?.fields ?? {})) memo[k] = decode(p);
  const keywords: ExecutionSummary['keywords'] = {};
  const fields = raw.searchAttributes?.indexedFields ?? {};
  for (const name of Object.keys(SEARCH_ATTRIBUTES) as (keyof typeof SEARCH_ATTRIBUTES)[]) {
    const value = fields[name] && keyword(fields[name]);
    if (value !== undefined) keywords[name] = value;
  }
  return { workflowId: raw.execution.workflowId, status: STATUS[raw.status ?? 0] ?? 'UNKNOWN', startTime: new Date(ms), memo, keywords };
}

const text = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

/** A payload in the SDK's default encodings: JSON, or the empty value. */
function decode(p: Payload | undefined): unknown {
  if (!p) return undefined;
  const encoding = text(p.metadata?.encoding);
  if (encoding === 'binary/null') return undefined;
  if (encoding === 'json/plain') {
    try {
      return JSON.parse(text(p.data) ?? '');
    } catch {
      throw new NotLean('a json/plain payload that is not JSON');
    }
  }
  throw new NotLean(`payload encoding ${encoding ?? '(none)'}`);
}

/**
 * A keyword search attribute as the SDK reads it: typed `Keyword` in its metadata, a string,
 * or an older server's one-element list of one.
 */
function keyword(p: Payload): string | undefined {
  if (text(p.metadata?.type) !== 'Keyword') return undefined;
  let value = decode(p);
  if (Array.isArray(value)) value = value.length === 1 ? value[0] : undefined;
  return typeof value === 'string' ? value : undefined;
}
