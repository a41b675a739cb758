/**
 * rotateKey: rotate a credential and put the new value everywhere it is used.
 *
 * - `env-file` (the default): a new random value of the same shape as the old one (prefix,
 *   length, alphabet) in every listed env file, then the dependent services restarted;
 * - `command`: a provider CLI makes the new value and prints it; written the same way;
 * - `http-revoke`: the provider's revocation endpoint receives the credential.
 *
 * The secret never leaves this module: history, logs and the journal see fingerprints only.
 */
import type { ActionArgs, PlannedEffect, StepResult } from '../../contract';
import type { ActivityDeps } from '../deps';
import { StepError } from '../errors';
import { fingerprint } from '../../common/hash';
import { redactText } from '../../common/secrets/detect';
import { checkRestartable, restartPlan } from '../service/restart';
import { proofSentence, proveRotation } from './check';
import { defineStep, withHeartbeat, type StepIO } from '../step';
import { newSecretLike } from './envfile';
import { envFilesOf, readAll, recover, restartAll, rotationData, writeAll, type RotationRecord } from './files';
import { planRevoke, revoke } from './revoke';

type Rotate = ActionArgs<'rotateKey'>;
type EnvFileRotation = Extract<Rotate, { method: 'env-file' }>;
type CommandRotation = Extract<Rotate, { method: 'command' }>;

async function plan(args: Rotate): Promise<PlannedEffect[]> {
  const check = args.check
    ? [
        {
          kind: 'http' as const,
          detail: `check that ${args.check.url} refuses the old value${args.check.acceptedStatus.length ? ' and accepts the new one' : ''}`,
        },
      ]
    : [];
  if (args.method === 'http-revoke') return [...planRevoke(args), ...check];
  const states = readAll(envFilesOf(args), args.key);
  const effects: PlannedEffect[] =
    args.method === 'command'
      ? [{ kind: 'command', detail: `run ${JSON.stringify(args.argv)} and take the new ${args.key} from its output (never shown)` }]
      : [];
  for (const s of states) {
    effects.push({
      kind: 'write',
      detail: `replace ${args.key} (now ${fingerprint(s.value)}) in ${s.envFile} with ${args.method === 'command' ? 'the new value' : 'a new random value of the same shape'}, mode 0600`,
    });
  }
  for (const r of args.restart) {
    await checkRestartable(r.service, r.manager);
    effects.push({ kind: 'command', detail: restartPlan(r.service, r.manager) });
  }
  return [...effects, ...check];
}

async function rotateEnvFiles(deps: ActivityDeps, io: StepIO, args: EnvFileRotation): Promise<StepResult> {
  const states = readAll(envFilesOf(args), args.key);
  const earlier = io.pending?.record as RotationRecord | undefined;
  let record: RotationRecord;
  let next = recover(states, earlier?.newFingerprint);
  if (next && earlier) record = earlier;
  else {
    next = newSecretLike(states[0]!.value, deps.randomBytes);
    record = {
      oldFingerprint: fingerprint(states[0]!.value),
      newFingerprint: fingerprint(next),
      files: states.map((s) => ({ envFile: s.envFile, oldFingerprint: fingerprint(s.value) })),
    };
    io.markPending(record);
  }
  const old = states.find((s) => s.value !== next)?.value;
  const written = writeAll(states, args.key, next);
  const restarts = await restartAll(deps, io, record, args.restart);
  // Only a service restarted here is worth waiting for; a stopped one cannot answer anyway.
  const proof = await proveRotation(deps, io, args, old, next, restarts.some((r) => r.restarted) ? (args.check?.waitMs ?? 0) : 0);
  return {
    summary: `rotated ${args.key} in ${states.length} env file(s) (${record.oldFingerprint} → ${record.newFingerprint})${written.length < states.length ? `, ${states.length - written.length} already done` : ''}${restarts.length ? `; restarted ${restarts.filter((r) => r.restarted).length}/${restarts.length} service(s)` : ''}; ${proofSentence(proof)}`,
    data: { ...rotationData(args.key, record, restarts), proof },
  };
}

async function rotateByCommand(deps: ActivityDeps, io: StepIO, args: CommandRotation): Promise<StepResult> {
  const states = readAll(envFilesOf(args), args.key);
  const earlier = io.pending?.record as RotationRecord | undefined;
  let next = recover(states, earlier?.newFingerprint);
  let record: RotationRecord;
  if (next && earlier) record = earlier;
  else if (earlier?.commandStarted && (earlier.newFingerprint === undefined || states.length > 0)) {
    // The provider may hold a new secret that no file received: running the command again
    // would rotate a second time and still not tell us the first value.
    throw new StepError(
      'UnsafeActionRefused',
      `an earlier attempt ran ${JSON.stringify(args.argv)} and stopped before the new ${args.key} reached the env files; check the provider, then rotate in a new step`,
    );
  } else {
    record = {
      oldFingerprint: states[0] ? fingerprint(states[0].value) : undefined,
      files: states.map((s) => ({ envFile: s.envFile, oldFingerprint: fingerprint(s.value) })),
      commandStarted: true,
    };
    io.markPending(record);
    const result = await withHeartbeat(io, deps.run(args.argv, { signal: io.signal, timeoutMs: 300_000 }));
    if (result.exitCode !== 0) {
      // The command failed, so no new secret was made: a retry may run it again.
      io.markPending({ ...record, commandStarted: false });
      throw new StepError('CommandFailed', `${args.argv[0]} exited ${result.exitCode}: ${redactText(result.stderr).text.trim().slice(-300)}`);
    }
    next = extractSecret(result.stdout, args.outputPattern);
    if (!next)
      throw new StepError(
        'VerificationFailed',
        `${args.argv[0]} printed no new value for ${args.key}${args.outputPattern ? ` matching ${args.outputPattern}` : ''}`,
      );
    record = { ...record, newFingerprint: fingerprint(next) };
    io.markPending(record);
  }
  const old = states.find((s) => s.value !== next)?.value;
  const written = writeAll(states, args.key, next);
  const restarts = await restartAll(deps, io, record, args.restart);
  // Only a service restarted here is worth waiting for; a stopped one cannot answer anyway.
  const proof = await proveRotation(deps, io, args, old, next, restarts.some((r) => r.restarted) ? (args.check?.waitMs ?? 0) : 0);
  return {
    summary: `rotated ${args.key} with ${args.argv[0]} (${record.oldFingerprint ?? 'new'} → ${record.newFingerprint}); ${written.length} env file(s) written${restarts.length ? `; restarted ${restarts.filter((r) => r.restarted).length}/${restarts.length} service(s)` : ''}; ${proofSentence(proof)}`,
    data: { ...rotationData(args.key, record, restarts), proof },
  };
}

/** The secret in a rotate command's output: group 1 (or the match) of `pattern`, else the trimmed output. */
export function extractSecret(stdout: string, pattern: string | undefined): string | undefined {
  if (!pattern) return stdout.trim() || undefined;
  const m = new RegExp(pattern, 'm').exec(stdout);
  return (m?.[1] ?? m?.[0])?.trim() || undefined;
}

export function rotateActivities(deps: ActivityDeps) {
  const rotateKey = defineStep(deps, 'rotateKey', {
    plan: (args) => plan(args),
    run: (io, args) => {
      switch (args.method) {
        case 'env-file':
          return rotateEnvFiles(deps, io, args);
        case 'command':
          return rotateByCommand(deps, io, args);
        case 'http-revoke':
          return revoke(deps, io, args);
      }
    },
  });
  return { rotateKey };
}

export { newSecretLike, readEnvValue, replaceEnvValue } from './envfile';
