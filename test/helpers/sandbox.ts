/** Checks on the demo sandbox: did anything change? */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '../../common/hash';
import type { Sandbox } from '../../demo/sandbox';

/** Every file under the sandbox with its mode, mtime and content hash. */
export function fileState(sb: Sandbox): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      const st = statSync(full);
      if (st.isDirectory()) walk(full);
      else out[full] = `${st.mode.toString(8)} ${st.mtimeMs} ${sha256(readFileSync(full))}`;
    }
  };
  walk(sb.root);
  return out;
}
