/**
 * Local process helpers for the process service adapter: read a pidfile, tell whether a pid
 * is alive (a zombie counts as gone), read how a process was started from /proc.
 */
import { readFileSync, readlinkSync } from 'node:fs';

export function readPidfile(pidfile: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(pidfile, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const pid = Number.parseInt(text, 10);
  return Number.isInteger(pid) && pid > 1 ? pid : undefined;
}

/** Fields of /proc/<pid>/stat after the command name: state and process group. */
function stat(pid: number): { state: string; pgid: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may itself contain spaces or parentheses.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0] ?? '?', pgid: Number(rest[2]) };
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  const s = stat(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X';
}

export function processGroup(pid: number): number | undefined {
  return stat(pid)?.pgid;
}

export interface LaunchRecord {
  argv: string[];
  cwd: string;
}

/** How a running process was started: its argv and working directory. */
export function launchRecord(pid: number): LaunchRecord {
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    .split('\0')
    .filter((a, i, all) => a !== '' || i < all.length - 1);
  return { argv, cwd: readlinkSync(`/proc/${pid}/cwd`) };
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
