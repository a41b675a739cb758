/**
 * Starting a process-managed service the way the inventory says it runs: its own session,
 * its env file, its working directory, appending to its log file, and no parent but init.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceManager } from '../../contract';
import { StepError } from '../errors';
import { incidentDir } from '../journal';
import { identify, type LaunchRecord, type ProcessIdentity } from '../process';
import { parseEnvFile } from '../rotate/envfile';

type ProcessManager = Extract<ServiceManager, { kind: 'process' }>;

export interface LaunchSpec {
  argv: string[];
  cwd: string;
  /** Variable names only ever leave this module; values stay in memory and the child. */
  env: Record<string, string>;
  logFile: string;
  pidfile: string;
}

/**
 * What the service is started with: the inventory's `command`, `cwd`, `envFile` and
 * `logFile`, each falling back to how it ran when this incident found it (`found`), and the
 * log to the incident folder when the inventory names none (the first shape).
 */
export function launchSpec(home: string, workflowId: string, service: string, m: ProcessManager, found: LaunchRecord | undefined): LaunchSpec {
  const argv = m.command ?? found?.argv;
  if (!argv?.length)
    throw new StepError(
      'TargetNotFound',
      `no record of stopping "${service}" in this incident and no command for it in the inventory: add a stopService step for it before this step, or give services.${service}.manager a command (argv)`,
    );
  const cwd = m.cwd ?? found?.cwd ?? '/';
  if (!existsSync(cwd) || !statSync(cwd).isDirectory())
    throw new StepError('TargetNotFound', `the working directory of ${service}, ${cwd}, is not a directory: fix services.${service}.manager.cwd`);
  // The base a service manager gives too; the env file adds the service's own settings.
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/', LANG: process.env.LANG ?? 'C.UTF-8' };
  if (m.envFile) {
    let text: string;
    try {
      text = readFileSync(m.envFile, 'utf8');
    } catch (err) {
      throw new StepError(
        'TargetNotFound',
        `the env file of ${service}, ${m.envFile}, cannot be read (${(err as NodeJS.ErrnoException).code}): fix services.${service}.manager.envFile`,
      );
    }
    Object.assign(env, parseEnvFile(text));
  }
  const logFile = m.logFile ?? join(incidentDir(home, workflowId), 'services', `${service}.log`);
  return { argv, cwd, env, logFile, pidfile: m.pidfile };
}

/**
 * The launcher: a short-lived Node process that starts the service with `detached` (setsid:
 * a session of its own), writes its pid and exits at once, so the service's parent becomes
 * init rather than the worker. Killing or restarting the worker then leaves it alone, and the
 * pidfile is written even when the worker dies mid-launch (the launcher is in its own
 * session too). The spec arrives on stdin, so no secret ever appears in a command line.
 */
const LAUNCHER = `
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', () => {
  const s = JSON.parse(input);
  fs.mkdirSync(path.dirname(s.logFile), { recursive: true });
  const out = fs.openSync(s.logFile, 'a', 0o600);
  const child = spawn(s.argv[0], s.argv.slice(1), { cwd: s.cwd, env: s.env, detached: true, stdio: ['ignore', out, out] });
  child.once('error', (err) => { process.stderr.write(err.message); process.exit(1); });
  child.once('spawn', () => {
    fs.mkdirSync(path.dirname(s.pidfile), { recursive: true });
    fs.writeFileSync(s.pidfile, child.pid + '\\n');
    process.stdout.write(String(child.pid));
    process.exit(0);
  });
});
`;

/** Start the service through the launcher; resolves with the new process once its pidfile is written. */
export function launchService(service: string, spec: LaunchSpec): Promise<ProcessIdentity> {
  return new Promise((resolve, reject) => {
    const launcher = spawn(process.execPath, ['-e', LAUNCHER], {
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    let stdout = '';
    let stderr = '';
    launcher.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    launcher.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    launcher.once('error', (err) => reject(new StepError('CommandFailed', `could not run the launcher for ${service}: ${err.message}`)));
    launcher.once('close', (code) => {
      const pid = Number.parseInt(stdout, 10);
      const identity = Number.isInteger(pid) ? identify(pid) : undefined;
      if (code === 0 && identity) return resolve(identity);
      if (code === 0) return reject(new StepError('CommandFailed', `${service} (pid ${pid}) exited at once; its output is in ${spec.logFile}`));
      reject(
        new StepError(
          'CommandFailed',
          `could not start ${service} with ${JSON.stringify(spec.argv)}: ${stderr.trim().slice(0, 300) || `launcher exited ${code}`}`,
        ),
      );
    });
    launcher.stdin.end(JSON.stringify(spec));
  });
}
