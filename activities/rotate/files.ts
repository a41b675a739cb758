/**
 * Writing a new secret into every env file that holds the credential, then restarting the
 * services that read it. Crash-safe without ever storing the secret: the journal keeps the
 * new value's fingerprint, and a retry recovers the value from a file that already has it.
 */
import type { ActionArgs, ServiceManager } from '../../contract';
import type { ActivityDeps } from '../deps';
import { fingerprint } from '../../common/hash';
import { writeFileAtomic } from '../journal';
import { restartIfRunning, type RestartOutcome } from '../service/restart';
import type { StepIO } from '../step';
import { readEnvFile, replaceEnvValue } from './envfile';

export interface RotationRecord {
  [field: string]: unknown;
  oldFingerprint?: string;
  newFingerprint?: string;
  files?: { envFile: string; oldFingerprint: string }[];
  /** The rotate command ran (or is running): its new secret exists at the provider. */
  commandStarted?: boolean;
  restarted?: string[];
}

type WithFiles = Extract<ActionArgs<'rotateKey'>, { envFiles: string[] }>;

export function envFilesOf(args: Pick<WithFiles, 'envFile' | 'envFiles'>): string[] {
  return [...new Set([...(args.envFile ? [args.envFile] : []), ...args.envFiles])];
}

export interface EnvFileState {
  envFile: string;
  text: string;
  value: string;
}

export function readAll(files: string[], key: string): EnvFileState[] {
  return files.map((envFile) => ({ envFile, ...readEnvFile(envFile, key) }));
}

/** The new value, read back from a file an earlier attempt already wrote it to. */
export function recover(states: EnvFileState[], newFingerprint: string | undefined): string | undefined {
  if (!newFingerprint) return undefined;
  return states.find((s) => fingerprint(s.value) === newFingerprint)?.value;
}

/** Put `next` into every file that does not hold it yet: atomic replace, mode 0600. */
export function writeAll(states: EnvFileState[], key: string, next: string): string[] {
  const written: string[] = [];
  for (const s of states) {
    if (s.value === next) continue;
    writeFileAtomic(s.envFile, replaceEnvValue(s.text, key, next), 0o600);
    written.push(s.envFile);
  }
  return written;
}

export async function restartAll(
  deps: ActivityDeps,
  io: StepIO,
  record: RotationRecord,
  services: { service: string; manager: ServiceManager }[],
): Promise<RestartOutcome[]> {
  const outcomes: RestartOutcome[] = [];
  const done = new Set(record.restarted ?? []);
  for (const s of services) {
    if (done.has(s.service)) {
      outcomes.push({ service: s.service, restarted: true, detail: 'restarted by an earlier attempt' });
      continue;
    }
    outcomes.push(await restartIfRunning(deps, io, s.service, s.manager));
    done.add(s.service);
    io.markPending({ ...record, restarted: [...done] });
  }
  return outcomes;
}

/** The result's data: fingerprints, files, restarts. Never a value. */
export function rotationData(key: string, record: RotationRecord, restarts: RestartOutcome[]) {
  return {
    key,
    envFile: record.files?.[0]?.envFile,
    oldFingerprint: record.oldFingerprint,
    newFingerprint: record.newFingerprint,
    files: record.files ?? [],
    restarts,
    // The old value is not kept anywhere: restoring it means the vault, not a step.
    undo: null,
  };
}
