import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A secret's handle in history and notes: enough to match it, useless to use it. */
export function fingerprint(secret: string): string {
  return `sha256:${sha256(secret).slice(0, 16)}`;
}

/** The SHA-256 of every regular file under `root`, by relative path: two trees compare by it. */
export async function treeDigest(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const st = lstatSync(full);
      if (st.isDirectory()) await walk(full);
      else if (st.isFile()) out.set(relative(root, full), await sha256File(full));
    }
  };
  await walk(root);
  return out;
}
