/**
 * Read a YAML or JSON file the operator wrote, and validate it with a zod schema, with errors
 * that name the file, the line and the path of the bad field.
 */
import { readFileSync } from 'node:fs';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';

type Issue = z.core.$ZodIssue;
import { CliError } from './errors';

export interface DataDocument {
  path: string;
  doc: Document;
  lines: LineCounter;
}

/** Parse a file; a syntax error is a `CliError` with `file:line:col`. */
export function readDataDocument(path: string): DataDocument {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError('InvalidInput', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const lines = new LineCounter();
  // YAML 1.2 is a superset of JSON, so one parser serves both.
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true, lineCounter: lines });
  if (doc.errors.length) {
    const first = doc.errors[0]!;
    const where = first.linePos?.[0] ? `${path}:${first.linePos[0].line}:${first.linePos[0].col}` : path;
    throw new CliError('InvalidInput', `${where}: ${first.message.split('\n')[0]}`);
  }
  return { path, doc, lines };
}

/** The line of the value at `path` in the document, or of its nearest parent that exists. */
export function lineOf(d: DataDocument, path: readonly PropertyKey[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = d.doc.getIn(path.slice(0, n) as unknown[], true);
    if (isNode(node) && node.range) return d.lines.linePos(node.range[0]).line;
  }
  return undefined;
}

/**
 * Parse a file with a schema. Every bad field is reported, one per line, as
 * `file:line: path.to.field: message`.
 */
export function loadValidated<S extends z.ZodType>(path: string, schema: S, what: string): z.infer<S> {
  const d = readDataDocument(path);
  const parsed = schema.safeParse(d.doc.toJS());
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues
    .flatMap(explainUnion)
    .map((issue) => ({ issue, line: lineOf(d, issue.path) }))
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0))
    .map(({ issue, line }) => `${path}${line ? `:${line}` : ''}: ${issue.path.length ? issue.path.map(String).join('.') : '(file)'}: ${issue.message}`);
  throw new CliError('InvalidInput', `invalid ${what}:\n  ${lines.join('\n  ')}`);
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
