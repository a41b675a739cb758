/** Where playbooks are found: a user folder first (TOURNIQUET_PLAYBOOKS), then the built-in ones. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Problem } from '../common/errors';

export const BUILTIN_PLAYBOOKS_DIR = fileURLToPath(new URL('../playbooks', import.meta.url));

function folders(extra: string | undefined): string[] {
  return [...(extra ? [extra] : []), BUILTIN_PLAYBOOKS_DIR];
}

/** Every playbook file, the user's shadowing a built-in of the same name. */
export function listPlaybooks(extra?: string): { name: string; file: string; builtin: boolean }[] {
  const seen = new Map<string, { name: string; file: string; builtin: boolean }>();
  for (const dir of folders(extra)) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) {
      const m = /^(.+)\.ya?ml$/.exec(f);
      if (m && !seen.has(m[1]!)) seen.set(m[1]!, { name: m[1]!, file: join(dir, f), builtin: dir === BUILTIN_PLAYBOOKS_DIR });
    }
  }
  return [...seen.values()];
}

/** A playbook by name, or a path to a playbook file. */
export function findPlaybook(nameOrFile: string, extra?: string): string {
  if (/[/\\]|\.ya?ml$/.test(nameOrFile)) {
    if (!existsSync(nameOrFile)) throw new Problem('InvalidInput', `no playbook file ${nameOrFile}`);
    return nameOrFile;
  }
  const found = listPlaybooks(extra).find((p) => p.name === nameOrFile);
  if (!found)
    throw new Problem(
      'InvalidInput',
      `no playbook "${nameOrFile}"; see \`tourniquet playbook list\` (${listPlaybooks(extra)
        .map((p) => p.name)
        .join(', ')})`,
    );
  return found.file;
}
