/** Option parsing shared by several commands. */
import { userInfo } from 'node:os';
import { Problem } from '../common/errors';

/** `--param key=value` (repeatable) into an object; the playbook types the values. */
export function parseParams(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new Problem('InvalidInput', `--param takes key=value, got "${item}"`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** Who runs this command when `--by` is not given: the OS user (recorded as the requester). */
export function currentUser(env: NodeJS.ProcessEnv = process.env): string {
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? env.LOGNAME ?? 'unknown';
  }
}
