/**
 * The part of Temporal's protobuf schema the lean client (client/lean/) speaks: the few
 * WorkflowService methods the read-only commands call and every message and enum they reach,
 * cut at build time (cli/build.ts) from @temporalio/proto's whole schema. Loading that whole
 * schema costs a command ~200 ms before it sends anything; the cut is a few dozen types.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Enum, Method, Namespace, ReflectionObject, Root, Service, Type } from 'protobufjs';
import { PROJECT_ROOT } from '../../common/paths';

export const SERVICE = 'temporal.api.workflowservice.v1.WorkflowService';

/** The methods the lean client calls; a method outside this list is the SDK's to call. */
export const LEAN_METHODS = ['ListWorkflowExecutions', 'QueryWorkflow'] as const;
export type LeanMethod = (typeof LEAN_METHODS)[number];

/** Where the build writes the cut schema, beside the compiled CLI. */
export const DESCRIPTOR_PATH = join(PROJECT_ROOT, 'dist', 'workflow-service.json');

type Json = Record<string, unknown> & { nested?: Record<string, Json> };

/** The file the build writes: the schema cut, and the @temporalio/proto version it was cut from. */
export interface LeanDescriptorFile {
  protoVersion: string;
  schema: Json;
}

const load = () => createRequire(join(PROJECT_ROOT, 'package.json'));

/** The installed @temporalio/proto's version: a cut from another is not used (wire.ts). */
export const protoVersion = (): string => (load()('@temporalio/proto/package.json') as { version: string }).version;

/** What cli/build.ts writes to DESCRIPTOR_PATH. */
export function leanDescriptorFile(): LeanDescriptorFile {
  return { protoVersion: protoVersion(), schema: leanDescriptor() };
}

/**
 * The cut schema as protobufjs JSON (`Root.fromJSON` reads it): each kept type in its own
 * namespace, under its own name, so the relative type names inside stay valid.
 */
export function leanDescriptor(): Json {
  const full = load()('@temporalio/proto') as Root;
  const service = full.lookupService(SERVICE);
  const kept = new Map<string, Type | Enum>();
  const visit = (t: Type | Enum | null) => {
    if (!t || kept.has(t.fullName)) return;
    kept.set(t.fullName, t);
    if (!('fields' in t)) return;
    for (const field of t.fieldsArray) visit(field.resolve().resolvedType as Type | Enum | null);
  };
  const methods: Record<string, Json> = {};
  for (const name of LEAN_METHODS) {
    const method = service.methods[name]!.resolve() as Method;
    visit(method.resolvedRequestType);
    visit(method.resolvedResponseType);
    methods[name] = { requestType: method.resolvedRequestType!.fullName.slice(1), responseType: method.resolvedResponseType!.fullName.slice(1) };
  }
  const root: Json = {};
  const place = (obj: ReflectionObject, json: Json) => {
    const path: Namespace[] = [];
    for (let p = obj.parent; p && p.parent; p = p.parent) path.unshift(p);
    let at = root;
    for (const ns of path) at = (at.nested ??= {})[ns.name] ??= {};
    const slot = ((at.nested ??= {})[obj.name] ??= {});
    Object.assign(slot, json);
  };
  for (const t of kept.values()) {
    const { nested: _nested, ...own } = t.toJSON() as unknown as Json;
    place(t, own);
  }
  place(service as Service, { methods });
  return root;
}
