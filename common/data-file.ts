/**
 * Files the operator writes (YAML, or JSON: YAML 1.2 is a superset), parsed and then validated
 * by a zod schema, with every problem reported as `file:line: path: message`, so an operator
 * can jump to the line. Playbooks, the inventory, intake routes, incident files and templates
 * are all read here.
 */
import { readFileSync } from 'node:fs';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { Problem } from './errors';

type Issue = z.core.$ZodIssue;

export interface SourceProblem {
  path: string;
  line?: number;
  message: string;
}

export class YamlSource {
  private constructor(
    readonly file: string,
    readonly data: unknown,
    private readonly doc: Document | undefined,
    private readonly lines: LineCounter | undefined,
  ) {}

  static read(file: string): YamlSource {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new Problem('InvalidInput', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    return YamlSource.parse(file, text);
  }

  static parse(file: string, text: string): YamlSource {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length) {
      const problems = doc.errors.map((e) => `${file}:${lines.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`);
      // `file:line: message`, one per line, so an editor or terminal can jump to each.
      throw new Problem('InvalidInput', problems.join('\n'));
    }
    return new YamlSource(file, doc.toJS(), doc, lines);
  }

  /** A source that is already data (tests, JSON from another program). */
  static fromData(file: string, data: unknown): YamlSource {
    return new YamlSource(file, data, undefined, undefined);
  }

  /** The line of the deepest node along `path` that exists. */
  lineOf(path: readonly PropertyKey[]): number | undefined {
    if (!this.doc || !this.lines) return undefined;
    for (let n = path.length; n >= 0; n--) {
      const node = this.doc.getIn(path.slice(0, n) as unknown[], true);
      if (isNode(node) && node.range) return this.lines.linePos(node.range[0]).line;
    }
    return undefined;
  }

  problem(path: readonly PropertyKey[], message: string): SourceProblem {
    const line = this.lineOf(path);
    return { path: path.map(String).join('.') || '(file)', ...(line !== undefined ? { line } : {}), message };
  }

  parseWith<S extends z.ZodType>(schema: S): { ok: true; value: z.infer<S> } | { ok: false; problems: SourceProblem[] } {
    const parsed = schema.safeParse(this.data);
    if (parsed.success) return { ok: true, value: parsed.data };
    return { ok: false, problems: parsed.error.issues.flatMap(explainUnion).map((i) => this.problem(i.path, i.message)) };
  }
}

/**
 * zod reports a value that fits no branch of a union as "Invalid input". Say instead what
 * was wrong in the branch that got furthest, which is nearly always the one the author meant.
 */
function explainUnion(issue: Issue): Issue[] {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue];
  const depth = (branch: Issue[]) => Math.max(...branch.map((i) => i.path.length));
  const best = issue.errors.reduce((a, b) => (depth(b) > depth(a) ? b : a));
  return best.flatMap((i) => explainUnion({ ...i, path: [...issue.path, ...i.path] } as Issue));
}

/** Parse a file with a schema, or throw one error listing every bad field, in line order. */
export function loadValidated<S extends z.ZodType>(path: string, schema: S, what: string): z.infer<S> {
  const result = YamlSource.read(path).parseWith(schema);
  if (result.ok) return result.value;
  const sorted = [...result.problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  throw new Problem('InvalidInput', `invalid ${what}:\n  ${formatProblems(path, sorted).split('\n').join('\n  ')}`);
}

/** The data of a YAML or JSON file, unvalidated (the caller parses it). */
export function loadDataFile(path: string): unknown {
  return YamlSource.read(path).data;
}

export function formatProblems(file: string, problems: SourceProblem[]): string {
  return problems.map((p) => `${file}${p.line !== undefined ? `:${p.line}` : ''}: ${p.path}: ${p.message}`).join('\n');
}
