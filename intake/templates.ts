/**
 * The default `ResolveIncident`: one incident template per playbook name, `<dir>/<name>.yaml`
 * (or `.yml`, `.json`), in the format of `tourniquet start -f` files. The playbook compiler
 * can replace this file; the intake only sees `ResolveIncident`.
 *
 * A template takes parameters as `{{name}}`, only as the whole value of a step argument, and
 * only where a name or a number belongs: `service`, `key`, the numeric settings, and command
 * arguments after the program. Never a program, a path, a working directory or a URL: those
 * stay fixed in the template, so alert text cannot choose what runs or what is touched.
 */
import { readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { Problem } from '../common/errors';
import { YamlSource } from '../common/data-file';
import { incidentInputSchema, type IncidentInput } from '../contract';
import { parseIncident } from '../client/incidents';
import type { IncidentRequest, ResolveIncident } from './resolve';
import { PLACEHOLDER } from '../contract';

type Path = (string | number)[];

interface Template {
  file: string;
  draft: Record<string, unknown>;
  placeholders: { path: Path; name: string }[];
}

/** Argument keys a parameter may fill: names and numbers, nothing that locates a file or a program. */
const FILLABLE_KEYS = new Set(['service', 'key', 'graceMs', 'settleMs', 'expectStatus', 'timeoutMs', 'expectExitCode']);
const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

function fillable(path: Path): boolean {
  if (path[0] !== 'steps' || typeof path[1] !== 'number' || path[2] !== 'args') return false;
  const last = path.at(-1);
  // argv[0] is the program; argv[1..] are its arguments.
  if (typeof last === 'number') return path.at(-2) === 'argv' && last >= 1;
  return typeof last === 'string' && FILLABLE_KEYS.has(last);
}

function walk(value: unknown, path: Path, visit: (text: string, path: Path) => void): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i], visit));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, [...path, k], visit);
}

const samePath = (a: readonly PropertyKey[], b: Path) => a.length === b.length && a.every((p, i) => p === b[i]);

function loadTemplate(file: string): Template {
  const source = YamlSource.read(file);
  const draft = source.data;
  if (!draft || typeof draft !== 'object' || Array.isArray(draft))
    throw new Problem('InvalidInput', `${file}: an incident template is one object (class, severity, title, targets, steps)`);
  const problems: string[] = [];
  const at = (path: readonly PropertyKey[]) => {
    const line = source.lineOf(path);
    return `${file}${line ? `:${line}` : ''}: ${path.map(String).join('.') || '(file)'}`;
  };
  const placeholders: Template['placeholders'] = [];
  walk(draft, [], (text, path) => {
    if (!text.includes('{{')) return;
    const m = PLACEHOLDER.exec(text);
    if (!m) problems.push(`${at(path)}: a placeholder must be the whole value, e.g. "{{service}}"`);
    else if (!fillable(path))
      problems.push(
        `${at(path)}: a parameter cannot fill this field; parameters fill only ${[...FILLABLE_KEYS].join(', ')} and command arguments after the program, never a program, a path or a URL`,
      );
    else placeholders.push({ path, name: m[1]! });
  });
  // Everything but the placeholders must already be valid: errors show at start-up, not at 3 a.m.
  const parsed = incidentInputSchema.safeParse(draft);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (!placeholders.some((p) => samePath(issue.path, p.path))) problems.push(`${at(issue.path)}: ${issue.message}`);
    }
  }
  if (problems.length) throw new Problem('InvalidInput', `invalid incident template:\n  ${problems.join('\n  ')}`);
  return { file, draft: draft as Record<string, unknown>, placeholders };
}

function setAt(target: unknown, path: Path, value: unknown): void {
  let node = target as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path.at(-1)!] = value;
}

export interface TemplateResolver {
  resolve: ResolveIncident;
  /** Template names found, sorted. */
  playbooks: string[];
  /** Parameter names a template uses, for checking routes at start-up. */
  parametersOf(playbook: string): string[] | undefined;
}

/** Load and check every template in `dir` now; a bad one stops the start with its file and line. */
export function templateResolver(dir: string): TemplateResolver {
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => EXTENSIONS.has(extname(f)));
  } catch (err) {
    throw new Problem('InvalidInput', `cannot read the incident templates folder ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const templates = new Map<string, Template>();
  for (const f of names.sort()) {
    const playbook = f.slice(0, -extname(f).length);
    if (templates.has(playbook)) throw new Problem('InvalidInput', `${dir}: two templates for "${playbook}" (${templates.get(playbook)!.file} and ${f})`);
    templates.set(playbook, loadTemplate(join(dir, f)));
  }

  async function resolve(request: IncidentRequest): Promise<IncidentInput> {
    const t = templates.get(request.playbook);
    if (!t) throw new Error(`no incident template "${request.playbook}" in ${dir} (templates: ${[...templates.keys()].join(', ') || 'none'})`);
    const draft = structuredClone(t.draft);
    for (const p of t.placeholders) {
      if (!Object.hasOwn(request.params, p.name))
        throw new Problem('InvalidInput', `template ${t.file} needs the parameter "${p.name}", which the route does not give`);
      setAt(draft, p.path, request.params[p.name]);
    }
    const targets = request.targets.length ? request.targets : draft.targets;
    return parseIncident({ ...draft, severity: request.severity, title: request.title, ...(targets ? { targets } : {}) });
  }

  return {
    resolve,
    playbooks: [...templates.keys()],
    parametersOf: (playbook) => {
      const t = templates.get(playbook);
      return t ? [...new Set(t.placeholders.map((p) => p.name))] : undefined;
    },
  };
}
