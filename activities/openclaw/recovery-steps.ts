/** Recovery: the smoke test after a remediation, and the undo of the reversible steps. */
import { existsSync, renameSync } from 'node:fs';
import type { ActionArgs } from '../../contract';
import type { ActivityDeps } from '../deps';
import { StepError } from '../errors';
import { defineStep } from '../step';
import { health, patchConfig, readiness, resumeGateway, runAgentTurn, securityAudit, setCronJobEnabled } from './levers';
import type { Proof } from './oracles';
import { undoRestore } from './restore-steps';
import { httpUrl, withConnection, identify, plan, requireProof, cliEnv } from './shared';

export function recoverySteps(deps: ActivityDeps) {
  const openclawSmoke = defineStep(deps, 'openclawSmoke', {
    plan: plan(
      (g) =>
        `check /readyz, the health RPC${(g as ActionArgs<'openclawSmoke'>).turn ? ', one agent turn' : ''}${(g as ActionArgs<'openclawSmoke'>).audit ? ' and `openclaw security audit --json` (0 critical)' : ''} on ${g.gateway}`,
    ),
    run: async (io, args) => {
      const proofs: Proof[] = [];
      const ready = await readiness(httpUrl(args));
      proofs.push({
        holds: ready.httpStatus === 200,
        check: `GET ${httpUrl(args)}/readyz answers 200`,
        observed: `${ready.httpStatus} ${ready.failing.join(', ')}`.trim(),
      });
      await withConnection(args, async (gw) => {
        const h = (await health(gw)) as { ok?: boolean; plugins?: { errors?: unknown[] } };
        const errors = h.plugins?.errors?.length ?? 0;
        proofs.push({
          holds: h.ok === true && errors === 0,
          check: 'the health RPC says ok with no plugin errors',
          observed: `ok ${h.ok}, ${errors} plugin error(s)`,
        });
        if (args.turn) {
          io.heartbeat({ smoke: 'agent turn' });
          const turn = await runAgentTurn(gw, {
            message: 'tourniquet smoke test: reply with one word',
            sessionKey: `agent:main:tourniquet-smoke-${io.key.stepId}`,
            timeoutMs: 90_000,
          });
          proofs.push({ holds: turn.status === 'ok', check: 'one agent turn completes', observed: `turn ${turn.status}` });
        }
      });
      if (args.audit) {
        io.heartbeat({ smoke: 'security audit' });
        const audit = await securityAudit(async (cliArgs) =>
          deps.run([args.node, args.openclawEntry, ...cliArgs], { signal: io.signal, timeoutMs: 180_000, env: cliEnv(args) }),
        );
        const critical = audit.findings.filter((f) => f.severity === 'critical').map((f) => f.checkId);
        proofs.push({
          holds: audit.summary.critical === 0,
          check: '`openclaw security audit --json` reports 0 critical',
          observed: critical.length ? `critical: ${critical.join(', ')}` : `0 critical, ${audit.summary.warn} warn`,
        });
      }
      requireProof(`the smoke test of ${args.gateway}`, proofs);
      return { summary: `${args.gateway} passes its smoke test: ${proofs.map((p) => p.observed).join('; ')}`, data: { gateway: args.gateway, proof: proofs } };
    },
  });

  const openclawUndo = defineStep(deps, 'openclawUndo', {
    plan: async (args) => [
      await identify(args),
      ...(args.patch ? [{ kind: 'command' as const, detail: `config.patch ${JSON.stringify(args.patch)} on ${args.gateway}` }] : []),
      ...args.moves.map((m) => ({ kind: 'move' as const, detail: `move ${m.from} back to ${m.to}` })),
      ...args.enableCronJobs.map((id) => ({ kind: 'command' as const, detail: `cron.update ${id} enabled=true on ${args.gateway}` })),
      ...(args.restoredState
        ? [
            {
              kind: 'move' as const,
              detail: `stop ${args.gateway}, move ${args.restoredState.aside} back to ${args.stateDir} (the restored state kept aside), start it`,
            },
          ]
        : []),
    ],
    run: async (io, args) => {
      const done: string[] = [];
      if (args.restoredState) done.push(await undoRestore(deps, io, args));
      if (args.resume) {
        const resume = args.resume;
        await withConnection(args, (gw) => resumeGateway(gw, resume));
        done.push('resumed');
      }
      if (args.patch) {
        const patch = args.patch;
        const { changedPaths } = await withConnection(args, (gw) => patchConfig(gw, patch));
        done.push(`config restored (${changedPaths.join(', ') || 'already as it was'})`);
      }
      if (args.enableCronJobs.length) {
        await withConnection(args, async (gw) => {
          for (const id of args.enableCronJobs) await setCronJobEnabled(gw, id, true);
        });
        done.push(`cron job(s) ${args.enableCronJobs.join(', ')} enabled again`);
      }
      for (const m of args.moves) {
        if (existsSync(m.to)) throw new StepError('UnsafeActionRefused', `${m.to} exists again: compare it with ${m.from} and put one back by hand`);
        if (!existsSync(m.from)) throw new StepError('TargetNotFound', `${m.from} is gone: nothing to put back at ${m.to}`);
        renameSync(m.from, m.to);
        done.push(`${m.to} put back`);
      }
      return { summary: `${args.gateway}: ${done.join('; ') || 'nothing to undo'}`, data: { gateway: args.gateway, undo: null } };
    },
  });

  return { openclawSmoke, openclawUndo };
}
