/**
 * A private PostgreSQL instance from the distribution's binaries: its own data folder, a
 * loopback port and a socket folder of its own, no system service. PostgreSQL refuses to run
 * as root, so as root every command runs as the `postgres` user (`runuser`).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { execa } from 'execa';
import type { Logger } from 'pino';
import { Problem } from '../../common/errors';

export interface Postgres {
  port: number;
  user: string;
  password: string;
  dataDir: string;
  logFile: string;
  start(): Promise<void>;
  /** `pg_ctl stop -m fast`: connections are cut, as in a crash of the database host's service. */
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** `pg_ctl stop -m immediate`, synchronously: for an exit handler. */
  stopNowSync(): void;
}

/** The binaries folder: $TOURNIQUET_PG_BIN, else the newest /usr/lib/postgresql/<n>/bin (Debian's layout). */
export function findPostgresBin(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TOURNIQUET_PG_BIN) {
    if (existsSync(join(env.TOURNIQUET_PG_BIN, 'initdb'))) return env.TOURNIQUET_PG_BIN;
    throw new Problem('StartupFailed', `TOURNIQUET_PG_BIN=${env.TOURNIQUET_PG_BIN} has no initdb: point it at PostgreSQL's bin folder`);
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest)
    throw new Problem('StartupFailed', 'PostgreSQL is not installed: `apt-get install postgresql` (Debian), or set TOURNIQUET_PG_BIN to its bin folder');
  return join(root, newest, 'bin');
}

async function postgresUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const id = await execa('id', ['postgres'], { reject: false });
  const uid = /uid=(\d+)/.exec(id.stdout)?.[1];
  const gid = /gid=(\d+)/.exec(id.stdout)?.[1];
  if (id.exitCode !== 0 || !uid || !gid)
    throw new Problem(
      'StartupFailed',
      "running as root, but there is no `postgres` user to run PostgreSQL as (install Debian's postgresql package, or run as a normal user)",
    );
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * initdb a new instance in `dir` (which must not hold one yet), start it on 127.0.0.1:`port`,
 * and create the login role Temporal uses (with CREATEDB, as the schema tool creates the databases).
 */
export async function startPostgres(o: { dir: string; port: number; logger: Logger; env?: NodeJS.ProcessEnv }): Promise<Postgres> {
  const bin = findPostgresBin(o.env);
  const owner = await postgresUser();
  const dataDir = join(o.dir, 'pgdata');
  const socketDir = join(o.dir, 'pgrun');
  const logFile = join(o.dir, 'postgres.log');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  mkdirSync(socketDir, { recursive: true, mode: 0o755 });
  writeFileSync(logFile, '');
  if (owner) {
    // The folders above must be traversable by postgres; the data folder is its own.
    chmodSync(o.dir, 0o711);
    for (let d = dirname(o.dir); d !== dirname(d); d = dirname(d)) {
      if ((statSync(d).mode & 0o001) === 0)
        throw new Problem(
          'StartupFailed',
          `PostgreSQL runs as the postgres user, which cannot reach ${o.dir}: ${d} is not traversable by others (chmod o+x ${d}, or choose a folder elsewhere)`,
        );
    }
    for (const p of [dataDir, socketDir, logFile]) chownSync(p, owner.uid, owner.gid);
  }
  const run = (tool: string, args: string[]) => {
    const [cmd, argv] = owner ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];
    return execa(cmd as string, argv as string[], { reject: false, all: true, cwd: o.dir });
  };
  const must = async (what: string, tool: string, args: string[]) => {
    const r = await run(tool, args);
    if (r.exitCode !== 0)
      throw new Problem(
        'StartupFailed',
        `PostgreSQL: ${what} failed (exit ${r.exitCode}): ${(r.all ?? '').trim().split('\n').slice(-3).join(' / ')}; see ${logFile}`,
      );
  };

  await must('initdb', 'initdb', ['-D', dataDir, '-U', 'postgres', '-E', 'UTF8', '--locale=C.UTF-8', '--auth-local=trust', '--auth-host=scram-sha-256']);
  // Four services x (20 + 10) pooled connections can pass the default of 100.
  const serverOptions = `-p ${o.port} -c listen_addresses=127.0.0.1 -k ${socketDir} -c max_connections=200`;
  const start = () => must('start', 'pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', serverOptions, 'start']);
  const stop = () => must('stop', 'pg_ctl', ['-D', dataDir, '-w', '-t', '60', '-m', 'fast', 'stop']);
  await start();
  const password = randomBytes(12).toString('hex');
  await must('creating the temporal role', 'psql', [
    '-h',
    socketDir,
    '-p',
    String(o.port),
    '-U',
    'postgres',
    '-v',
    'ON_ERROR_STOP=1',
    '-c',
    `CREATE ROLE temporal LOGIN CREATEDB PASSWORD '${password}'`,
  ]);
  o.logger.info({ port: o.port, dataDir }, 'PostgreSQL ready');
  return {
    port: o.port,
    user: 'temporal',
    password,
    dataDir,
    logFile,
    start,
    stop,
    stopNowSync() {
      const args = [join(bin, 'pg_ctl'), '-D', dataDir, '-m', 'immediate', 'stop'];
      if (owner) spawnSync('runuser', ['-u', 'postgres', '--', ...args], { stdio: 'ignore' });
      else spawnSync(args[0]!, args.slice(1), { stdio: 'ignore' });
    },
    restart: () => must('restart', 'pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '60', '-m', 'fast', '-o', serverOptions, 'restart']),
  };
}
