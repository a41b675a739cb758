/**
 * sweepHost: the persistence checklist of the cloud-VM runbook, captured as evidence: SSH
 * authorized keys, crontabs and timers, enabled and running services, recent logins, listening
 * sockets, and package files that fail verification (`debsums -c` where installed). Commands
 * that are missing here (no systemd, no debsums) are recorded with their failure, not fatal.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ActionArgs } from '../contract';
import type { ActivityDeps } from './deps';
import { Capture } from './evidence/capture';
import { evidenceFolder, publishEvidence } from './evidence/folder';
import type { CommandSource } from './evidence/sources';
import { sha256 } from '../common/hash';
import { defineStep } from './step';

type Sweep = ActionArgs<'sweepHost'>;

export interface AuthorizedKey {
  file: string;
  type: string;
  /** OpenSSH's own form: `SHA256:` and the unpadded base64 of the key blob's SHA-256. */
  fingerprint: string;
  comment: string;
}

/** Parse an authorized_keys file: options are skipped, the key type and blob are found. */
export function parseAuthorizedKeys(file: string, text: string): AuthorizedKey[] {
  const keys: AuthorizedKey[] = [];
  for (const line of text.split('\n')) {
    const m = /(?:^|\s)((?:ssh|ecdsa|sk)-[A-Za-z0-9@.-]+)\s+([A-Za-z0-9+/]+={0,2})(?:\s+(.*))?$/.exec(line.trim());
    if (!m || line.trim().startsWith('#')) continue;
    const digest = Buffer.from(sha256(Buffer.from(m[2]!, 'base64')), 'hex')
      .toString('base64')
      .replace(/=+$/, '');
    keys.push({ file, type: m[1]!, fingerprint: `SHA256:${digest}`, comment: (m[3] ?? '').trim() });
  }
  return keys;
}

/** Home folders from `<root>/etc/passwd`, plus `/root`. */
function homes(root: string): string[] {
  const out = new Set([join(root, 'root')]);
  const passwd = join(root, 'etc', 'passwd');
  if (existsSync(passwd)) {
    for (const line of readFileSync(passwd, 'utf8').split('\n')) {
      const home = line.split(':')[5];
      if (home && home !== '/' && home !== '/nonexistent') out.add(join(root, home));
    }
  }
  return [...out];
}

export function sweepFiles(root: string): { keys: string[]; other: string[] } {
  const keys = homes(root).flatMap((h) => ['authorized_keys', 'authorized_keys2'].map((f) => join(h, '.ssh', f)));
  const userUnits = homes(root).map((h) => join(h, '.config', 'systemd', 'user'));
  const other = [
    'etc/crontab',
    'etc/cron.d',
    'etc/cron.hourly',
    'etc/cron.daily',
    'etc/cron.weekly',
    'etc/cron.monthly',
    'var/spool/cron',
    'etc/systemd/system',
    'etc/rc.local',
    'etc/ld.so.preload',
    'etc/sudoers',
    'etc/sudoers.d',
  ].map((p) => join(root, p));
  return { keys, other: [...other, ...userUnits] };
}

export function sweepCommands(args: Sweep): CommandSource[] {
  const cmd = (section: Sweep['skip'][number] | 'always', file: string, argv: string[]): CommandSource[] =>
    section !== 'always' && args.skip.includes(section) ? [] : [{ kind: 'sweep', name: file, file: `commands/${file}`, argv }];
  return [
    ...cmd('systemd', 'systemd-timers.txt', ['systemctl', 'list-timers', '--all', '--no-pager']),
    ...cmd('systemd', 'systemd-running-services.txt', ['systemctl', 'list-units', '--type=service', '--state=running', '--no-pager']),
    ...cmd('systemd', 'systemd-enabled-unit-files.txt', ['systemctl', 'list-unit-files', '--state=enabled', '--no-pager']),
    ...cmd('logins', 'last.txt', ['last', '-a', '-F', '-n', '200']),
    ...cmd('logins', 'lastb.txt', ['lastb', '-a', '-F', '-n', '200']),
    ...cmd('debsums', 'debsums-changed.txt', ['debsums', '-c']),
    ...cmd('docker', 'docker-ps.txt', ['docker', 'ps', '--all', '--no-trunc']),
    ...cmd('always', 'listening-sockets.txt', ['ss', '-tulpn']),
    ...cmd('always', 'processes.txt', ['ps', '-eo', 'pid,ppid,user,lstart,args']),
  ];
}

export function sweepActivities(deps: ActivityDeps) {
  const sweepHost = defineStep(deps, 'sweepHost', {
    plan: (args, key) => {
      const { keys, other } = sweepFiles(args.root);
      return [
        ...[...keys, ...other]
          .filter((f) => existsSync(f))
          .map((f) => ({ kind: 'copy' as const, detail: `copy ${f} with cp -a into ${evidenceFolder(deps.home, key.workflowId, key.stepId)}` })),
        ...sweepCommands(args).map((c) => ({ kind: 'command' as const, detail: `run ${JSON.stringify(c.argv)} and save its output, redacted, as ${c.file}` })),
      ];
    },
    run: async (io, args) => {
      const { keys, other } = sweepFiles(args.root);
      const found: AuthorizedKey[] = [];
      const result = await publishEvidence(deps, io, async (staging) => {
        const capture = new Capture(deps, io, staging, Capture.known(deps, io, []));
        for (const f of [...keys, ...other]) if (existsSync(f)) await capture.copy(f);
        for (const f of keys) if (existsSync(f)) found.push(...parseAuthorizedKeys(f, readFileSync(f, 'utf8')));
        for (const c of sweepCommands(args)) await capture.command(c);
        return capture.result;
      });
      // A replayed folder still reports the keys: they are read again from the copies.
      if (result.replayed) {
        const folder = String(result.data?.folder);
        for (const f of keys) {
          const copy = join(folder, 'files', f.replace(/^\/+/, ''));
          if (existsSync(copy)) found.push(...parseAuthorizedKeys(f, readFileSync(copy, 'utf8')));
        }
      }
      const cron = other.filter((f) => f.includes('cron') && existsSync(f)).flatMap((f) => (f.endsWith('crontab') ? [f] : listFiles(f)));
      return {
        ...result,
        summary: `swept the host: ${found.length} authorized key(s), ${cron.length} cron file(s); ${result.summary}`,
        data: { ...result.data, authorizedKeys: found, cronFiles: cron },
      };
    },
  });
  return { sweepHost };
}

function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => join(d.parentPath, d.name));
  } catch {
    return [];
  }
}
