/**
 * The checks of the world behind "stopped", "was not running" and "started": a service's
 * liveness probe from the inventory (a port, a URL, a process match) and the identity of a
 * process (pid and start time). Every result that claims a state lists the checks that
 * proved it as `data.proof`.
 */
import { connect } from 'node:net';
import type { LivenessProbe } from '../../contract';
import { isSameAlive, matchingProcesses, sleep, type ProcessIdentity } from '../process';

/** One check of the world and what it showed; `ok` is whether it confirmed the claim. */
export interface Proof {
  check: string;
  target: string;
  ok: boolean;
  detail?: string;
  pid?: number;
  startTime?: string;
}

export interface Liveness {
  alive: boolean;
  /** What was asked, e.g. `127.0.0.1:8080` or `http://127.0.0.1:8080/health`. */
  target: string;
  /** What it answered, in words. */
  detail: string;
  kind: 'port' | 'url' | 'process';
}

const CONNECT_TIMEOUT_MS = 1_500;

function portAnswers(host: string, port: number): Promise<{ open: boolean; detail: string }> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (open: boolean, detail: string) => {
      socket.destroy();
      resolve({ open, detail });
    };
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => done(false, `no answer within ${CONNECT_TIMEOUT_MS} ms`));
    socket.once('connect', () => done(true, 'accepts connections'));
    socket.once('error', (err: NodeJS.ErrnoException) => done(false, err.code ?? err.message));
  });
}

/** Ask the probe once. */
export async function probeLiveness(probe: LivenessProbe): Promise<Liveness> {
  if ('port' in probe) {
    const host = probe.host ?? '127.0.0.1';
    const r = await portAnswers(host, probe.port);
    return { alive: r.open, target: `${host}:${probe.port}`, detail: r.detail, kind: 'port' };
  }
  if ('url' in probe) {
    try {
      // Any HTTP answer means something serves the service's address, healthy or not.
      const res = await fetch(probe.url, { redirect: 'manual', signal: AbortSignal.timeout(CONNECT_TIMEOUT_MS * 2) });
      await res.body?.cancel();
      return { alive: true, target: probe.url, detail: `answered HTTP ${res.status}`, kind: 'url' };
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      return { alive: false, target: probe.url, detail: cause ?? (err as Error).name, kind: 'url' };
    }
  }
  const found = matchingProcesses(probe.processMatch);
  return {
    alive: found.length > 0,
    target: `/${probe.processMatch}/`,
    detail: found.length ? `matched ${found.map((p) => `pid ${p.pid}`).join(', ')}` : 'no process matches',
    kind: 'process',
  };
}

/** Ask until the probe shows `alive` (or `timeoutMs` passes); returns the last answer. */
export async function awaitLiveness(probe: LivenessProbe, alive: boolean, timeoutMs: number, beat: () => void = () => {}): Promise<Liveness> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await probeLiveness(probe);
    if (now.alive === alive || Date.now() >= deadline) return now;
    beat();
    await sleep(200);
  }
}

const DOWN_CHECK: Record<Liveness['kind'], string> = { port: 'port-closed', url: 'url-silent', process: 'no-process-match' };
const UP_CHECK: Record<Liveness['kind'], string> = { port: 'port-open', url: 'url-answers', process: 'process-match' };

/** The proof entry of a probe asked to confirm the service is down. */
export function downProof(l: Liveness): Proof {
  return { check: DOWN_CHECK[l.kind], target: l.target, ok: !l.alive, detail: l.detail };
}

/** The proof entry of a probe asked to confirm the service is up. */
export function upProof(l: Liveness): Proof {
  return { check: UP_CHECK[l.kind], target: l.target, ok: l.alive, detail: l.detail };
}

/** The proof entry that the process with that start time is gone. */
export function goneProof(p: ProcessIdentity): Proof {
  const ok = !isSameAlive(p);
  return {
    check: 'process-gone',
    target: `pid ${p.pid}`,
    ok,
    pid: p.pid,
    startTime: p.startTime,
    detail: ok ? 'no such process with that start time' : 'still alive',
  };
}

/** Words for a summary: "port 127.0.0.1:8080 closed, pid 42 gone". */
export function proofWords(proof: Proof[]): string {
  return proof.map((p) => `${p.check} ${p.target}${p.detail ? ` (${p.detail})` : ''}`).join(', ');
}

/** How an inventory entry's probe reads in a message. */
export function probeLabel(probe: LivenessProbe): string {
  if ('port' in probe) return `port ${probe.host ?? '127.0.0.1'}:${probe.port}`;
  if ('url' in probe) return probe.url;
  return `processes matching /${probe.processMatch}/`;
}
