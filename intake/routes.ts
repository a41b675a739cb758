/**
 * The routes file: which alerts start which playbook, at which severity, against which
 * targets, with which parameters. The first route (in file order) that matches an alert of
 * the group wins.
 *
 * This is the boundary for alert text: it can only fill a typed parameter (checked against its
 * type, and a string against an allowlist or a pattern) or pick a target from an allowlist.
 * It never names a command or a path; the template resolver enforces the other half.
 */
import { z } from 'zod';
import { loadValidated } from '../common/data-file';
import { severity as severityEnum } from '../contract';
import { IntakeError } from './errors';
import { lifecycleSchema } from './lifecycle';
import type { IncidentRequest } from './resolve';
import { clip, SOURCE_NAMES, type AlertView, type Delivery } from './sources';
import { NAME_PATTERN, NAME_RULE } from '../contract';

/** Anchored: a pattern must match the whole value. */
const regex = z.string().transform((source, ctx) => {
  try {
    return new RegExp(`^(?:${source})$`);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${(err as Error).message}` });
    return z.NEVER;
  }
});

/** A field of one alert: `labels.<name>` or `annotations.<name>`. */
const fieldPath = z.string().regex(/^(labels|annotations)\.[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be labels.<name> or annotations.<name>');

const matcher = z.union([
  z.string().describe('exact value'),
  z.object({ regex }).strict(),
  z.object({ in: z.array(z.string()).min(1) }).strict(),
  z.object({ exists: z.boolean() }).strict(),
]);

/**
 * What a string parameter taken from an alert may look like when the route gives neither
 * `values` nor `pattern`: a name, no spaces, no slashes, no leading dash or dot.
 */
export const DEFAULT_STRING_PATTERN = '[A-Za-z0-9][A-Za-z0-9._-]{0,63}';

const fromAlert = { from: fieldPath };
const paramFromAlert = z.discriminatedUnion(
  'type',
  [
    z
      .object({
        ...fromAlert,
        type: z.literal('string'),
        values: z.array(z.string()).min(1).optional(),
        pattern: regex.optional(),
        default: z.string().optional(),
      })
      .strict(),
    z
      .object({
        ...fromAlert,
        type: z.literal('integer'),
        min: z.number().int().optional(),
        max: z.number().int().optional(),
        default: z.number().int().optional(),
      })
      .strict(),
    z.object({ ...fromAlert, type: z.literal('number'), min: z.number().optional(), max: z.number().optional(), default: z.number().optional() }).strict(),
    z.object({ ...fromAlert, type: z.literal('boolean'), default: z.boolean().optional() }).strict(),
  ],
  { error: 'a parameter from the alert needs type: string, integer, number or boolean' },
);
type ParamFromAlert = z.infer<typeof paramFromAlert>;

/** A literal value; a list (`[a, b]`) fills a list parameter such as `credential[]`. */
const literal = z.union([z.string(), z.number(), z.boolean(), z.array(z.string().min(1)).min(1)]);

const severitySpec = z.union([severityEnum, z.object({ from: fieldPath, map: z.record(z.string(), severityEnum), default: severityEnum.optional() }).strict()]);

const targetName = z.string().min(1).max(100);
const targetSpec = z.union([targetName, z.object({ from: fieldPath, oneOf: z.array(targetName).min(1) }).strict()]);

const name = z.string().regex(NAME_PATTERN, NAME_RULE);

export const routeSchema = z
  .object({
    name,
    /** Only alerts from these senders (default: any). */
    sources: z.array(z.enum(SOURCE_NAMES)).min(1).optional(),
    /** Every matcher must hold for one alert of the group. None: matches everything. */
    match: z.record(fieldPath, matcher).default({}),
    /** A name, not a path: `<templates>/<playbook>.yaml` or the playbook compiler's name. */
    playbook: name,
    severity: severitySpec,
    targets: z.array(targetSpec).default([]),
    params: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'letters, digits and _'), z.union([literal, paramFromAlert])).default({}),
    /** Reopen window, flapping, `startAfter`, correlation group (lifecycle.ts); every field has a default. */
    lifecycle: lifecycleSchema.prefault({}),
  })
  .strict();
export type Route = z.infer<typeof routeSchema>;

export const routesFileSchema = z
  .object({ routes: z.array(routeSchema).min(1, 'list at least one route') })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.routes.forEach((r, i) => {
      if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'name'], message: `duplicate route name "${r.name}"` });
      seen.add(r.name);
    });
  });

/** Load and check a routes file; every bad field is reported with its line. */
export function loadRoutes(path: string): Route[] {
  return loadValidated(path, routesFileSchema, 'routes file').routes;
}

function fieldOf(alert: AlertView, path: string): string | undefined {
  const dot = path.indexOf('.');
  const bag = path.slice(0, dot) === 'labels' ? alert.labels : alert.annotations;
  const key = path.slice(dot + 1);
  return Object.hasOwn(bag, key) ? bag[key] : undefined;
}

function holds(m: z.infer<typeof matcher>, value: string | undefined): boolean {
  if (typeof m === 'string') return value === m;
  if ('exists' in m) return (value !== undefined) === m.exists;
  if (value === undefined) return false;
  if ('in' in m) return m.in.includes(value);
  return m.regex.test(value);
}

export interface RouteMatch {
  route: Route;
  /** The alert of the group that matched: parameters are read from it. */
  alert: AlertView;
}

export function matchRoute(routes: Route[], delivery: Delivery): RouteMatch | undefined {
  for (const route of routes) {
    if (route.sources && !route.sources.includes(delivery.source)) continue;
    for (const alert of delivery.alerts) {
      if (Object.entries(route.match).every(([path, m]) => holds(m, fieldOf(alert, path)))) return { route, alert };
    }
  }
  return undefined;
}

const shown = (value: string) => JSON.stringify(clip(value, 80));

/**
 * The answer says which value of which field did not fit; the route's allowlist (inventory
 * names) and its own pattern go only to the intake's log, through `detail`.
 */
function refuse(route: Route, what: string, why: string, detail?: string): never {
  throw new IntakeError('InvalidParameter', `route "${route.name}": ${what}: ${why}`, detail && `route "${route.name}": ${what}: ${detail}`);
}

const notAllowed = (raw: string) => `${shown(raw)} is not one of the route's allowed values (the intake's log lists them)`;

function typed(route: Route, name: string, spec: ParamFromAlert, raw: string | undefined): string | number | boolean {
  const what = `parameter "${name}" (${spec.type}, from ${spec.from})`;
  if (raw === undefined) {
    if (spec.default !== undefined) return spec.default;
    refuse(route, what, `the alert has no ${spec.from} and the route gives no default`);
  }
  switch (spec.type) {
    case 'string': {
      if (spec.values) return spec.values.includes(raw) ? raw : refuse(route, what, notAllowed(raw), `allowed: ${spec.values.join(', ')}`);
      if (spec.pattern) {
        if (raw.length <= 256 && spec.pattern.test(raw)) return raw;
        return refuse(route, what, `${shown(raw)} does not match the route's pattern (the intake's log shows it)`, `pattern ${spec.pattern.source}`);
      }
      // The default pattern is documented and names nothing of the inventory: the sender may see it.
      const pattern = new RegExp(`^(?:${DEFAULT_STRING_PATTERN})$`);
      return raw.length <= 256 && pattern.test(raw) ? raw : refuse(route, what, `${shown(raw)} does not match ${pattern.source}`);
    }
    case 'integer':
    case 'number': {
      const ok = spec.type === 'integer' ? /^-?\d{1,15}$/.test(raw) : /^-?\d{1,15}(\.\d{1,15})?$/.test(raw);
      if (!ok) refuse(route, what, `${shown(raw)} is not ${spec.type === 'integer' ? 'an integer' : 'a number'}`);
      const n = Number(raw);
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        refuse(route, what, `${n} is outside ${spec.min ?? '-∞'}..${spec.max ?? '∞'}`);
      }
      return n;
    }
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : refuse(route, what, `${shown(raw)} is not true or false`);
  }
}

/** The request for the resolver; throws `InvalidParameter` when an alert value does not fit. */
export function buildRequest(match: RouteMatch, delivery: Delivery): IncidentRequest {
  const { route, alert } = match;
  const params: IncidentRequest['params'] = {};
  for (const [name, spec] of Object.entries(route.params)) {
    params[name] = typeof spec === 'object' && !Array.isArray(spec) ? typed(route, name, spec, fieldOf(alert, spec.from)) : spec;
  }
  const targets = route.targets.map((t) => {
    if (typeof t === 'string') return t;
    const raw = fieldOf(alert, t.from);
    if (raw === undefined) return refuse(route, `target from ${t.from}`, 'the alert has no such field');
    return t.oneOf.includes(raw) ? raw : refuse(route, `target from ${t.from}`, notAllowed(raw), `allowed: ${t.oneOf.join(', ')}`);
  });
  let severity: IncidentRequest['severity'];
  if (typeof route.severity === 'string') severity = route.severity;
  else {
    const raw = fieldOf(alert, route.severity.from);
    const mapped = raw !== undefined && Object.hasOwn(route.severity.map, raw) ? route.severity.map[raw] : route.severity.default;
    severity =
      mapped ??
      refuse(route, `severity from ${route.severity.from}`, `${raw === undefined ? 'missing' : shown(raw)} is not in the map and there is no default`);
  }
  return { playbook: route.playbook, severity, targets, params, title: clip(delivery.summary, 200) };
}
