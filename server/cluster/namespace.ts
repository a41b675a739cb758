/**
 * The namespace and tourniquet's search attributes on a server that does not take them on
 * its command line (a self-hosted cluster; the dev server gets `--search-attribute`).
 * Both steps skip what exists, so they can run on every deploy.
 */
import type { ConnectionLike } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import proto from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../../contract';

const { IndexedValueType } = proto.temporal.api.enums.v1;
const INDEXED_TYPE = { Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD } as const;

/** What these calls need of a client's connection. */
type Services = Pick<ConnectionLike, 'workflowService' | 'operatorService'>;

const isNotFound = (err: unknown) => (err as { code?: number }).code === 5;

/** Register the namespace unless it exists. `retention`: how long closed incidents stay readable ('720h'). */
export async function ensureNamespace(connection: Services, namespace: string, retention: string): Promise<'created' | 'exists'> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return 'exists';
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  await connection.workflowService.registerNamespace({
    namespace,
    description: 'tourniquet incidents',
    workflowExecutionRetentionPeriod: msToTs(retention as Parameters<typeof msToTs>[0]),
  });
  return 'created';
}

/**
 * Add the search attributes the incident workflow sets, skipping those present. Right after a
 * namespace is created the server may not know it yet for ~1 s: retried until `timeoutMs`.
 */
export async function registerSearchAttributes(connection: Services, namespace: string, timeoutMs = 30_000): Promise<{ added: string[]; present: string[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const listed = await connection.operatorService.listSearchAttributes({ namespace });
      const known = { ...listed.customAttributes, ...listed.systemAttributes };
      const missing = Object.entries(SEARCH_ATTRIBUTES).filter(([name]) => !(name in known));
      if (missing.length) {
        await connection.operatorService.addSearchAttributes({
          namespace,
          searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, INDEXED_TYPE[type]])),
        });
      }
      const added = missing.map(([name]) => name);
      return { added, present: Object.keys(SEARCH_ATTRIBUTES).filter((n) => !added.includes(n)) };
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
