// Whether the compiled CLI (dist/cli.js, written by cli/build.ts) still matches its sources:
// every file it was built from has the size and modification time it had then. Plain
// JavaScript, so answering costs a few stat calls and no compiler.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The compiled CLI's path under `root` when it is fresh; otherwise undefined and, in `why`, the
 * reason (not built, or the first source that changed since).
 */
export function freshCli(root) {
  const bundle = join(root, 'dist', 'cli.js');
  let inputs;
  try {
    statSync(bundle);
    inputs = JSON.parse(readFileSync(join(root, 'dist', 'cli.inputs.json'), 'utf8')).inputs;
  } catch {
    return { why: 'the compiled CLI is not built' };
  }
  for (const input of inputs) {
    let s;
    try {
      s = statSync(join(root, input.file));
    } catch {
      return { why: `${input.file} is gone since the build` };
    }
    if (s.size !== input.size || s.mtimeMs !== input.mtimeMs) return { why: `${input.file} changed since the build` };
  }
  return { path: bundle };
}
