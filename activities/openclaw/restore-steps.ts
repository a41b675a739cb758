/**
 * Restore an OpenClaw gateway from a backup archive (reference §6 #9): verify, extract into a
 * fresh folder, stop the gateway, move its state aside, copy the backup's in at mode 700,
 * lint, start it the way its service runs it and wait until ready. Proven by `/readyz`, the
 * lock file naming the process started, the backup's config in place and the mode.
 *
 * The restored state holds the backup's token, possibly the leaked one: the playbook must
 * rotate it again (the compiler requires it: the catalogue's `revivesCredentials`).
 */
import { existsSync, renameSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ActionArgs } from '../../contract';
import { sha256File } from '../../common/hash';
import type { ActivityDeps } from '../deps';
import { StepError } from '../errors';
import { incidentDir, safeName } from '../journal';
import type { ProcessIdentity } from '../process';
import { defineStep, type StepIO } from '../step';
import { gatewayProcess, serviceOf, startGatewayService, stopGatewayProcess } from './gateway-process';
import { portClosed, readGatewayLock, type Proof } from './oracles';
import { chooseArchive, extractArchive, lintState, stateDirPrivate, swapState, verifyArchive } from './restore';
import { gatewayArgs, identify, requireProof } from './shared';

/** What an attempt has done so far, journalled step by step so a retry resumes there. */
interface RestoreRecord {
  archive: string;
  staging: string;
  aside: string;
  /** The gateway found running (null: none was). */
  stopped?: { pid: number; startTime: number } | null;
  swapped?: boolean;
  started?: ProcessIdentity;
}

export function restoreSteps(deps: ActivityDeps) {
  const openclawRestoreBackup = defineStep(deps, 'openclawRestoreBackup', {
    plan: async (args) => {
      const svc = serviceOf(args, 'a restore stops and starts the gateway');
      const archive = chooseArchive(args);
      const lock = readGatewayLock(args.stateDir);
      return [
        await identify(args),
        { kind: 'command', detail: `openclaw backup verify ${archive}, then openclaw backup restore into a fresh folder of the incident` },
        { kind: 'signal', detail: `stop ${args.gateway}${lock ? ` (pid ${lock.pid})` : ''}: SIGTERM, SIGKILL after ${args.graceMs} ms` },
        { kind: 'move', detail: `move ${args.stateDir} aside (kept, the undo moves it back), copy the backup's state in, chmod 700, openclaw doctor --lint` },
        {
          kind: 'spawn',
          detail: `start ${args.gateway} as ${svc.service} runs it (${JSON.stringify(svc.manager.command ?? 'its recorded command')}), wait for /readyz; then rotate its token again (the backup's is back)`,
        },
      ];
    },
    run: async (io, args) => {
      const svc = serviceOf(args, 'a restore stops and starts the gateway');
      const proofs: Proof[] = [];
      let rec = io.pending?.record as RestoreRecord | undefined;
      const save = (next: Partial<RestoreRecord>) => {
        rec = { ...rec!, ...next };
        io.markPending({ ...rec });
      };
      if (!rec) {
        const folder = join(incidentDir(deps.home, io.key.workflowId), 'openclaw-restore', safeName(io.key.stepId));
        rec = { archive: chooseArchive(args), staging: join(folder, 'restored'), aside: `${args.stateDir}.before-restore-${safeName(io.key.workflowId)}` };
        io.markPending({ ...rec });
      }
      const { archive, staging, aside } = rec;
      if (!rec.swapped) proofs.push(await verifyArchive(deps, io, args, archive));
      const restored = await extractArchive(deps, io, args, archive, staging);

      if (rec.stopped === undefined) {
        const lock = readGatewayLock(args.stateDir);
        // A gateway that is down already (an outage) is restored as it is: nothing to stop.
        const target = lock ? gatewayProcess(args) : null;
        if (!target && !(await portClosed(args.port)).holds)
          throw new StepError(
            'TargetNotFound',
            `${args.gateway}: something answers on port ${args.port} but no gateway holds ${args.stateDir}: fix port or stateDir`,
          );
        save({ stopped: target });
      }
      if (rec.stopped && !rec.swapped) proofs.push(...(await stopGatewayProcess(io, args, rec.stopped, args.graceMs)));

      if (!rec.swapped) {
        swapState(args.stateDir, restored, aside);
        save({ swapped: true });
      }
      const lint = await lintState(deps, io, args);
      requireProof(`the restored state of ${args.gateway}`, [lint.proof]);
      proofs.push(lint.proof);

      const { process: started, proofs: up } = await startGatewayService(deps, io, args, svc, args.readyTimeoutMs, rec.started, (p) => save({ started: p }));
      proofs.push(...up);
      const lock = readGatewayLock(args.stateDir);
      proofs.push({
        holds: lock?.pid === started.pid,
        check: `the lock file of ${args.stateDir} names the started gateway (pid ${started.pid})`,
        observed: lock ? `pid ${lock.pid}` : 'no lock file',
      });
      const configCopy = join(restored, relative(args.stateDir, args.configPath));
      const [now, backup] = await Promise.all([sha256File(args.configPath), existsSync(configCopy) ? sha256File(configCopy) : Promise.resolve('missing')]);
      proofs.push({ holds: now === backup, check: `${args.configPath} is the backup's (same SHA-256)`, observed: now === backup ? 'same' : 'differs' });
      proofs.push(stateDirPrivate(args.stateDir));
      requireProof(`the restore of ${args.gateway}`, proofs);
      return {
        summary: `${args.gateway} restored from ${archive} and running again (pid ${started.pid}); its state before is kept in ${aside}; lint warnings: ${lint.warnings.join(', ') || 'none'}. Its token is the backup's: rotate it again`,
        data: {
          gateway: args.gateway,
          archive,
          aside,
          pid: started.pid,
          lintWarnings: lint.warnings,
          proof: proofs,
          undo: { action: 'openclawUndo', args: { ...gatewayArgs(args), restoredState: { aside, service: svc } } },
        },
      };
    },
  });
  return { openclawRestoreBackup };
}

/**
 * The undo of a restore: stop the gateway, keep the restored state aside in its turn, move the
 * state the restore replaced back, and start the gateway as its service runs it. A retry finds
 * the swap journalled and only starts it.
 */
export async function undoRestore(deps: ActivityDeps, io: StepIO, args: ActionArgs<'openclawUndo'>): Promise<string> {
  const { aside, service } = args.restoredState!;
  let kept = io.pending?.record?.restoredKept as string | undefined;
  if (!kept) {
    if (!existsSync(aside)) throw new StepError('TargetNotFound', `${aside} is gone: no earlier state of ${args.gateway} to put back at ${args.stateDir}`);
    if (readGatewayLock(args.stateDir)) await stopGatewayProcess(io, args, gatewayProcess(args), 30_000);
    kept = `${args.stateDir}.restored-${Date.now()}`;
    io.markPending({ restoredKept: kept });
    if (existsSync(args.stateDir)) renameSync(args.stateDir, kept);
    renameSync(aside, args.stateDir);
  }
  const { proofs } = await startGatewayService(deps, io, args, service, 180_000, io.pending?.record?.started as ProcessIdentity | undefined, (p) =>
    io.markPending({ restoredKept: kept, started: p }),
  );
  requireProof(`the start of ${args.gateway} on its earlier state`, proofs);
  return `${args.stateDir} put back from ${aside} (the restored state kept in ${kept}), ${service.service} started: ${proofs.map((p) => p.observed).join('; ')}`;
}
