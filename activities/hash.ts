import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

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
