/** Read an incident or playbook file (YAML or JSON) with errors that give file, line and column. */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { CliError } from '../common/errors';

export function loadDataFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError('InvalidInput', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  // YAML 1.2 is a superset of JSON, so one parser serves both.
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    const first = doc.errors[0]!;
    const where = first.linePos?.[0] ? `${path}:${first.linePos[0].line}:${first.linePos[0].col}` : path;
    throw new CliError('InvalidInput', `${where}: ${first.message.split('\n')[0]}`);
  }
  return doc.toJS();
}
