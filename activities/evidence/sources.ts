/**
 * What captureEvidence and sweepHost collect, as plain descriptions: commands to run (their
 * output redacted before it is written) and files to copy raw. Planning and running share them,
 * so a drill reports exactly the commands a live run would run.
 */
import type { ActionArgs, ServiceManager } from '../../contract';
import { managedAdapter } from '../service';
import { fileNameFor } from './folder';
import { journalTime, resolveTime } from './window';

export interface CommandSource {
  kind: string;
  name: string;
  file: string;
  argv: string[];
  cwd?: string;
}

export function serviceStatusSource(service: string, manager: ServiceManager): CommandSource | undefined {
  // The process manager has no status command: its status is read from /proc (see capture.ts).
  if (manager.kind === 'process') return undefined;
  return { kind: 'service', name: service, file: `services/${fileNameFor(service)}-status.txt`, argv: managedAdapter(manager).statusArgv };
}

export function commandSources(args: ActionArgs<'captureEvidence'>, now: Date): CommandSource[] {
  const out: CommandSource[] = [];
  for (const c of args.commands) out.push({ kind: 'command', name: c.name, file: `commands/${c.name}`, argv: c.argv, ...(c.cwd ? { cwd: c.cwd } : {}) });
  for (const s of args.services) {
    const source = serviceStatusSource(s.service, s.manager);
    if (source) out.push(source);
  }
  for (const j of args.journal) {
    const window = ['--since', journalTime(resolveTime(j.since, now)), ...(j.until ? ['--until', journalTime(resolveTime(j.until, now))] : [])];
    out.push({
      kind: 'journal',
      name: j.unit,
      file: `journal/${fileNameFor(j.unit)}.txt`,
      argv: ['journalctl', ...(j.scope === 'user' ? ['--user'] : []), '--unit', j.unit, ...window, '--no-pager', '--output', 'short-iso'],
    });
  }
  for (const repo of args.repos) {
    const base = `repos/${fileNameFor(repo)}`;
    out.push({ kind: 'git', name: repo, file: `${base}-status.txt`, argv: ['git', '-C', repo, 'status', '--short', '--branch', '--untracked-files=all'] });
    out.push({ kind: 'git', name: repo, file: `${base}-diff.patch`, argv: ['git', '-C', repo, 'diff', '--no-color', '--no-ext-diff'] });
    out.push({ kind: 'git', name: repo, file: `${base}-diff-staged.patch`, argv: ['git', '-C', repo, 'diff', '--cached', '--no-color', '--no-ext-diff'] });
  }
  for (const container of args.containers) {
    const base = `containers/${fileNameFor(container)}`;
    out.push({ kind: 'docker', name: container, file: `${base}-inspect.json`, argv: ['docker', 'inspect', '--type', 'container', '--', container] });
    out.push({ kind: 'docker', name: container, file: `${base}-logs.txt`, argv: ['docker', 'logs', '--timestamps', '--tail', '20000', '--', container] });
  }
  return out;
}

export function formatCommand(argv: string[], result: { exitCode: number; stdout: string; stderr: string }): string {
  return `$ ${JSON.stringify(argv)}\n# exit code ${result.exitCode}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}\n`;
}
