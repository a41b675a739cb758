/**
 * Capturing into a staging evidence folder: command output and log excerpts are redacted
 * before they are written; file copies (`cp -a`) stay raw, inside the private folder.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ServiceManager } from '../../contract';
import type { ActivityDeps } from '../deps';
import { StepError } from '../errors';
import { redactText, type Known } from '../../common/secrets/detect';
import { rotatedFingerprints } from '../leaks/known';
import { isAlive, readPidfile } from '../process';
import { withHeartbeat, type StepIO } from '../step';
import { fileNameFor, writeCaptured, type Captured, type SourceRecord } from './folder';
import { formatCommand, type CommandSource } from './sources';
import { excerpt, resolveTime } from './window';

export class Capture {
  readonly result: Captured = { missing: [], commands: [], sources: [] };

  constructor(
    private readonly deps: ActivityDeps,
    private readonly io: StepIO,
    readonly staging: string,
    private readonly known: Known,
  ) {}

  /** What to redact: every value of the listed env files, and every secret this incident rotated. */
  static known(deps: ActivityDeps, io: StepIO, envFiles: readonly string[]): Known {
    const values: string[] = [];
    for (const file of envFiles) {
      if (!existsSync(file)) continue;
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        const m = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=\s*["']?(.*?)["']?\s*$/.exec(line);
        if (m?.[1]) values.push(m[1]);
      }
    }
    return { values, fingerprints: rotatedFingerprints(io.journal, io.key.workflowId).all };
  }

  private record(source: SourceRecord): void {
    this.result.sources.push(source);
  }

  private write(file: string, text: string): number {
    const { text: clean, redactions } = redactText(text, this.known);
    writeCaptured(this.staging, file, clean);
    return redactions;
  }

  async command(source: CommandSource): Promise<void> {
    this.io.heartbeat({ running: source.name });
    const result = await withHeartbeat(
      this.io,
      this.deps.run(source.argv, { ...(source.cwd ? { cwd: source.cwd } : {}), signal: this.io.signal, timeoutMs: 120_000 }),
    );
    const redactions = this.write(source.file, formatCommand(source.argv, result));
    this.result.commands.push({ name: source.name, argv: source.argv, exitCode: result.exitCode });
    this.record({ kind: source.kind, name: source.name, file: source.file, argv: source.argv, exitCode: result.exitCode, redactions });
  }

  /** `cp -a` a file or folder into `files/<its absolute path>`; a missing one is listed, not fatal. */
  async copy(path: string, under = 'files'): Promise<void> {
    const source = resolve(path);
    if (!existsSync(source)) {
      this.result.missing.push(source);
      return;
    }
    this.io.heartbeat({ copying: source });
    const rel = join(under, source.replace(/^\/+/, ''));
    mkdirSync(dirname(join(this.staging, rel)), { recursive: true, mode: 0o700 });
    const argv = ['cp', '-a', '--no-target-directory', '--', source, join(this.staging, rel)];
    const result = await withHeartbeat(this.io, this.deps.run(argv, { signal: this.io.signal }));
    if (result.exitCode !== 0) throw new StepError('CommandFailed', `cp -a ${source} exited ${result.exitCode}: ${result.stderr.trim().slice(0, 300)}`);
    this.record({ kind: 'copy', name: source, file: rel });
  }

  /** The lines of a log file inside a time window, redacted. */
  log(path: string, since: string | undefined, until: string | undefined): void {
    const source = resolve(path);
    if (!existsSync(source)) {
      this.result.missing.push(source);
      return;
    }
    const now = this.deps.now();
    const cut = excerpt(readFileSync(source, 'utf8'), now, since ? resolveTime(since, now) : undefined, until ? resolveTime(until, now) : undefined);
    const file = `logs/${fileNameFor(source)}`;
    const header = `# ${source}, lines from ${since ?? 'the start'} to ${until ?? 'now'} (${cut.lines} lines)\n`;
    this.record({ kind: 'log', name: source, file, redactions: this.write(file, header + cut.text) });
  }

  /** A process-managed service's status, read from its pidfile and /proc. */
  processStatus(service: string, manager: Extract<ServiceManager, { kind: 'process' }>): void {
    const pid = readPidfile(manager.pidfile);
    const lines = [`service ${service}`, `pidfile ${manager.pidfile}: ${pid ?? 'missing or empty'}`];
    if (pid !== undefined) {
      lines.push(`alive: ${isAlive(pid)}`);
      for (const f of ['status', 'cmdline']) {
        try {
          lines.push(`--- /proc/${pid}/${f}`, readFileSync(`/proc/${pid}/${f}`, 'utf8').replace(/\0/g, ' '));
        } catch {
          lines.push(`--- /proc/${pid}/${f}: gone`);
        }
      }
    }
    const file = `services/${fileNameFor(service)}-status.txt`;
    this.record({ kind: 'service', name: service, file, redactions: this.write(file, `${lines.join('\n')}\n`) });
  }
}
