/**
 * Local process helpers for the process service adapter: read a pidfile, tell whether a pid
 * is alive (a zombie counts as gone), read how a process was started from /proc.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

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

/** Fields of /proc/<pid>/stat after the command name: state, process group, session, start time. */
function stat(pid: number): { state: string; pgid: number; sid: number; startTime: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may itself contain spaces or parentheses.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0] ?? '?', pgid: Number(rest[2]), sid: Number(rest[3]), startTime: rest[19] ?? '?' };
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

export function sessionOf(pid: number): number | undefined {
  return stat(pid)?.sid;
}

/**
 * A process, named so that a reused pid cannot pass for it: the pid and its start time (clock
 * ticks after boot, from /proc/<pid>/stat).
 */
export interface ProcessIdentity {
  pid: number;
  startTime: string;
}

export function identify(pid: number): ProcessIdentity | undefined {
  const s = stat(pid);
  return s && s.state !== 'Z' && s.state !== 'X' ? { pid, startTime: s.startTime } : undefined;
}

/** Whether that very process (same pid, same start time) is still alive. */
export function isSameAlive(p: ProcessIdentity): boolean {
  return identify(p.pid)?.startTime === p.startTime;
}

/** Ticks per second of /proc start times: USER_HZ, 100 on every Linux architecture we run on. */
const USER_HZ = 100;

/** When a process started, as epoch milliseconds (boot time + its start ticks); to the second. */
export function startedAtMs(pid: number): number | undefined {
  const s = stat(pid);
  if (!s) return undefined;
  const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1];
  return btime === undefined ? undefined : Number(btime) * 1000 + (Number(s.startTime) * 1000) / USER_HZ;
}

/** A process's command line, arguments joined by spaces (for matching and messages). */
export function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return undefined;
  }
}

/** Live processes whose command line matches `pattern`, this process excluded. */
export function matchingProcesses(pattern: string): { pid: number; command: string }[] {
  const re = new RegExp(pattern);
  const out: { pid: number; command: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid || !isAlive(pid)) continue;
    const command = commandLine(pid);
    if (command && re.test(command)) out.push({ pid, command });
  }
  return out;
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
