/**
 * Containment: suspend or stop the gateway, disable a component, deny exec, freeze the
 * scheduler and heartbeats. Each a lever of ./levers confirmed by an oracle of ./oracles.
 */
import { join } from 'node:path';
import type { ActionArgs } from '../../contract';
import type { ActivityDeps } from '../deps';
import { StepError } from '../errors';
import { incidentDir, safeName } from '../journal';
import { defineStep } from '../step';
import { configValue, cronStatus, getConfig, listCronJobs, readiness, suspendGateway, setCronJobEnabled, status, type CronJob } from './levers';
import { componentDisabled, execDeniedByProbe, toolsInvokeStatus, type Proof } from './oracles';
import { httpUrl, readToken, readConfigFile, withConnection, identify, plan, requireProof, setConfig, gatewayArgs, pauseRequestId } from './shared';
import { gatewayProcess, stopGatewayProcess } from './gateway-process';

/** A cron job whose payload runs a shell command on the gateway host (rather than an agent turn). */
function isShellJob(job: CronJob): boolean {
  return job.payload.kind === 'command';
}

/** The config path that enables each kind of component. */
const DISABLE_PATH: Record<ActionArgs<'openclawDisable'>['kind'], (name: string) => string> = {
  skill: (n) => `skills.entries.${n}.enabled`,
  plugin: (n) => `plugins.entries.${n}.enabled`,
  hook: (n) => `hooks.internal.entries.${n}.enabled`,
  mcp: (n) => `mcp.servers.${n}.enabled`,
  channel: (n) => `channels.${n}.enabled`,
};

export function containmentSteps(deps: ActivityDeps) {
  const openclawPause = defineStep(deps, 'openclawPause', {
    plan: plan(
      (g) =>
        `suspend ${g.gateway} (gateway.suspend.prepare: no new work, a ~2 min lease the incident renews while it needs the pause), then expect /readyz draining and /tools/invoke 503`,
    ),
    run: async (io, args) => {
      const token = readToken(args);
      const lease = await withConnection(
        args,
        async (gw) => {
          // Work in flight (a turn, a background review) makes the gateway answer busy: ask again while it drains.
          const deadline = Date.now() + 40_000;
          for (;;) {
            const answer = await suspendGateway(gw, pauseRequestId(io.key.workflowId, io.key.stepId));
            if (answer.status === 'ready' || Date.now() > deadline) return answer;
            io.heartbeat({ busy: answer.blockers?.length ?? 0 });
            await new Promise((r) => setTimeout(r, 1_000));
          }
        },
        token,
      );
      if (lease.status !== 'ready' || !lease.suspensionId)
        throw new StepError(
          'VerificationFailed',
          `${args.gateway} stayed busy and was not suspended (${JSON.stringify(lease.blockers ?? []).slice(0, 300)}): stop it instead (openclawStopGateway)`,
        );
      const ready = await readiness(httpUrl(args));
      const invoke = await toolsInvokeStatus(httpUrl(args), token);
      const proofs: Proof[] = [
        {
          holds: ready.failing.includes('gateway-draining'),
          check: 'GET /readyz reports gateway-draining',
          observed: `${ready.httpStatus} ${ready.failing.join(', ')}`,
        },
        { holds: invoke === 503, check: 'POST /tools/invoke answers 503', observed: `HTTP ${invoke}` },
      ];
      requireProof(`the suspension of ${args.gateway}`, proofs);
      return {
        summary: `${args.gateway} suspended (a lease until ${new Date(lease.expiresAtMs ?? 0).toISOString()}, renewed while the incident needs the pause)`,
        data: {
          gateway: args.gateway,
          suspensionId: lease.suspensionId,
          expiresAtMs: lease.expiresAtMs,
          // What the workflow times its renewal by: measured here, beside the gateway, free of clock skew.
          ...(lease.expiresAtMs !== undefined ? { leaseLeftMs: lease.expiresAtMs - deps.now().getTime() } : {}),
          proof: proofs,
          undo: { action: 'openclawUndo', args: { ...gatewayArgs(args), resume: lease.suspensionId } },
        },
      };
    },
  });

  const openclawStopGateway = defineStep(deps, 'openclawStopGateway', {
    plan: async (args) => {
      const lock = gatewayProcess(args);
      return [await identify(args), { kind: 'signal', detail: `SIGTERM pid ${lock.pid} (start time ${lock.startTime}), SIGKILL after ${args.graceMs} ms` }];
    },
    run: async (io, args) => {
      // The pid and start time found first: a retry after the gateway already went finds no lock file.
      const recorded = io.pending?.record as { pid: number; startTime: number } | undefined;
      const target = recorded ?? gatewayProcess(args);
      if (!recorded) io.markPending({ pid: target.pid, startTime: target.startTime });
      const proofs = await stopGatewayProcess(io, args, target, args.graceMs);
      return {
        summary: `${args.gateway} stopped: ${proofs.map((p) => p.observed).join('; ')}`,
        data: { gateway: args.gateway, pid: target.pid, proof: proofs },
      };
    },
  });

  const openclawDisable = defineStep(deps, 'openclawDisable', {
    plan: plan((g) => {
      const a = g as ActionArgs<'openclawDisable'>;
      return `disable the ${a.kind} ${a.name} of ${g.gateway} (${DISABLE_PATH[a.kind](a.name)}=false, hot-applied)`;
    }),
    run: (io, args) =>
      withConnection(args, async (gw) => {
        const path = DISABLE_PATH[args.kind](args.name);
        if ((args.kind === 'mcp' || args.kind === 'channel') && configValue((await getConfig(gw)).config, path.replace(/\.enabled$/, '')) === undefined)
          throw new StepError('TargetNotFound', `${args.gateway} has no ${args.kind} "${args.name}" (${path.replace(/\.enabled$/, '')} is not in its config)`);
        const { changedPaths, undo } = await setConfig(io, gw, { [path]: false });
        // What the gateway persisted, read from its file.
        const persisted = configValue(readConfigFile(args), path);
        const proofs: Proof[] = [{ holds: persisted === false, check: `${path} is false in ${args.configPath}`, observed: String(persisted) }];
        // And what the running gateway reports (not `health`'s plugins.loaded: a cached
        // snapshot that still listed a disabled plugin 20 s later in 2026.9.6). The change
        // hot-applies within a few seconds: ask again until it shows.
        const deadline = Date.now() + 30_000;
        let live = await componentDisabled(gw, args.kind, args.name);
        while (live && !live.holds && Date.now() < deadline) {
          io.heartbeat();
          await new Promise((r) => setTimeout(r, 1_000));
          live = await componentDisabled(gw, args.kind, args.name);
        }
        if (live) proofs.push(live);
        requireProof(`disabling ${args.kind} ${args.name} on ${args.gateway}`, proofs);
        return {
          summary: `${args.kind} ${args.name} of ${args.gateway} disabled`,
          data: { gateway: args.gateway, changedPaths, proof: proofs, undo: { action: 'openclawUndo', args: { ...gatewayArgs(args), patch: undo } } },
        };
      }),
  });

  const openclawLockTools = defineStep(deps, 'openclawLockTools', {
    plan: plan(
      (g) =>
        `set tools.exec.mode=deny on ${g.gateway} (config.patch, hot-applied), then confirm ${g.gateway === '' ? '' : 'it '}by ${'probe' in g && g.probe ? 'a probe agent turn that asks for exec' : 'reading the persisted config back'}`,
    ),
    run: (io, args) =>
      withConnection(args, async (gw) => {
        const { changedPaths, undo } = await setConfig(io, gw, { 'tools.exec.mode': 'deny' });
        const proofs: Proof[] = [];
        if (args.probe) {
          const markerPath = join(incidentDir(deps.home, io.key.workflowId), `exec-probe-${safeName(io.key.stepId)}-${Date.now()}`);
          const { instruct } = args.probe;
          proofs.push(
            await execDeniedByProbe(gw, {
              markerPath,
              sessionKey: `${args.probe.sessionKey}-${Date.now()}`,
              instruct: (command) => instruct.replace('{command}', command),
            }),
          );
        } else {
          const mode = configValue(readConfigFile(args), 'tools.exec.mode');
          proofs.push({ holds: mode === 'deny', check: `tools.exec.mode in ${args.configPath} is deny`, observed: String(mode) });
        }
        requireProof(`the exec lockdown of ${args.gateway}`, proofs);
        return {
          summary: `exec denied on ${args.gateway}: ${proofs.map((p) => p.observed).join('; ')}`,
          data: { gateway: args.gateway, changedPaths, proof: proofs, undo: { action: 'openclawUndo', args: { ...gatewayArgs(args), patch: undo } } },
        };
      }),
  });

  const openclawFreezeAutomations = defineStep(deps, 'openclawFreezeAutomations', {
    plan: async (args) => {
      const shell = await withConnection(args, async (gw) => (await listCronJobs(gw)).filter(isShellJob));
      return [
        await identify(args),
        {
          kind: 'command',
          detail: `set cron.enabled=false, cron.skipMissedJobs=true, agents.defaults.heartbeat.every=0m on ${args.gateway}${shell.length ? `, disable the shell-payload cron job(s) ${shell.map((j) => `${j.name} (${j.id})`).join(', ')}` : ''}, then read cron.status, status and cron.list`,
        },
      ];
    },
    run: (io, args) =>
      withConnection(args, async (gw) => {
        const { changedPaths, undo } = await setConfig(io, gw, { 'cron.skipMissedJobs': true, 'cron.enabled': false, 'agents.defaults.heartbeat.every': '0m' });
        // The scheduler's and the heartbeat runner's live state, not the config we wrote.
        const deadline = Date.now() + 30_000;
        let proofs: Proof[];
        for (;;) {
          const cron = await cronStatus(gw);
          const beats = (await status(gw)).heartbeat?.agents ?? [];
          const beating = beats.filter((a) => a.enabled);
          proofs = [
            {
              holds: !cron.enabled && cron.nextWakeAtMs === null,
              check: 'cron.status says enabled:false, nextWakeAtMs:null',
              observed: `enabled ${cron.enabled}, nextWakeAtMs ${cron.nextWakeAtMs}`,
            },
            {
              holds: beating.length === 0,
              check: 'status reports no agent heartbeat enabled',
              observed: beating.length
                ? `beating: ${beating.map((a) => `${a.agentId} every ${a.every}`).join(', ')}`
                : `${beats.length} agent(s), none beating`,
            },
          ];
          if (proofs.every((p) => p.holds) || Date.now() > deadline) break;
          io.heartbeat();
          await new Promise((r) => setTimeout(r, 500));
        }
        // Shell-payload jobs (a persistence vector: `sh -c` on the gateway host) are also
        // disabled one by one, so they stay off when someone turns the scheduler back on.
        // Their ids are journalled first: a retry re-enables, on undo, what the incident found enabled.
        const recorded = io.pending?.record?.disabledJobs as string[] | undefined;
        const disabledJobs = recorded ?? (await listCronJobs(gw)).filter((j) => isShellJob(j) && j.enabled).map((j) => j.id);
        if (!recorded) io.markPending({ undo, disabledJobs });
        for (const id of disabledJobs) await setCronJobEnabled(gw, id, false);
        const jobs = await listCronJobs(gw);
        const stillOn = jobs.filter((j) => disabledJobs.includes(j.id) && j.enabled);
        if (disabledJobs.length)
          proofs.push({
            holds: stillOn.length === 0,
            check: `cron.list (disabled included) shows job(s) ${disabledJobs.join(', ')} disabled`,
            observed: stillOn.length ? `still enabled: ${stillOn.map((j) => j.id).join(', ')}` : `${disabledJobs.length} shell job(s) disabled`,
          });
        requireProof(`the automation freeze of ${args.gateway}`, proofs);
        return {
          summary: `automations frozen on ${args.gateway}: ${proofs.map((p) => p.observed).join('; ')}`,
          data: {
            gateway: args.gateway,
            changedPaths,
            cronJobs: jobs.length,
            disabledJobs,
            proof: proofs,
            undo: { action: 'openclawUndo', args: { ...gatewayArgs(args), patch: undo, enableCronJobs: disabledJobs } },
          },
        };
      }),
  });

  return { openclawPause, openclawStopGateway, openclawDisable, openclawLockTools, openclawFreezeAutomations };
}
