/**
 * `npm run record-histories`: run the built-in incident shapes on a real server and save their
 * histories here. The replay test replays them against the current workflow code, so a change
 * that would break incidents already running fails before it lands. Re-record only when a
 * change to the workflow is meant to be incompatible (and then version it with patching).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { execa } from 'execa';
import { alertSignal } from '../../contract';
import { ensureTemporalCli } from '../../server/temporal-cli';
import { approve, cancelIncident, deny, getProgress, pauseIncident, resumeIncident } from '../../client/incidents';
import { compilePlaybook, findPlaybook, loadInventory, YamlSource } from '../../compiler';
import { createSandbox, SANDBOX_PARAMS, secretExposureIncident, stopGateway } from '../../demo/sandbox';
import { createWorker } from '../../worker/create';
import { tempDir } from '../helpers/activity';
import { quietLogger, startTestServer, waitFor } from '../helpers/temporal';
import { failingLocalFreeze } from '../helpers/incidents';
import { startDraft } from '../helpers/start';

const here = new URL('.', import.meta.url).pathname;

/** `npm run record-histories [-- name...]`: record only the named shapes (all when none is named). */
const only = process.argv.slice(2);
const want = (name: string) => !only.length || only.includes(name);

async function main(): Promise<void> {
  const env = await startTestServer();
  const taskQueue = `record-${randomUUID()}`;
  const worker = await createWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, home: tempDir(), logger: quietLogger });
  const sandbox = await createSandbox(tempDir('tourniquet-record-'));
  const waitGate = (id: string) => waitFor('gate', async () => ((await getProgress(env.client, id)).state === 'awaiting-approval' ? true : undefined));
  try {
    await worker.runUntil(async () => {
      const save = async (name: string, id: string) => {
        // The CLI writes the standard JSON form that historyFromJSON reads back.
        const cli = await ensureTemporalCli(quietLogger);
        const shown = await execa(cli.path, ['workflow', 'show', '--workflow-id', id, '--address', env.address, '--output', 'json']);
        writeFileSync(join(here, `${name}.json`), `${shown.stdout}\n`);
        console.log(`recorded ${name}.json (${(JSON.parse(shown.stdout) as { events: unknown[] }).events.length} events)`);
      };

      if (want('secret-exposure-resolved')) {
        const resolved = await startDraft(env.client, secretExposureIncident(sandbox), { taskQueue });
        await waitGate(resolved.id);
        await approve(env.client, resolved.id, { step: 'restart-gateway', by: 'recorder', comment: 'recorded' });
        await resolved.handle.result();
        await save('secret-exposure-resolved', resolved.id);
      }

      if (want('runaway-automation-denied')) {
        const gated = {
          class: 'runaway-automation',
          severity: 'S2',
          title: 'recorded deny',
          steps: [
            { id: 'first', action: 'runCommand', args: { argv: ['true'] } },
            { id: 'gated', action: 'runCommand', approval: { required: true, onDeny: 'abort' }, args: { argv: ['true'] } },
          ],
        };
        const denied = await startDraft(env.client, gated, { taskQueue });
        await waitGate(denied.id);
        await denied.handle.signal('approve', { step: 'nope', by: 'recorder' });
        await pauseIncident(env.client, denied.id, { by: 'recorder', reason: 'recorded' });
        await resumeIncident(env.client, denied.id, { by: 'recorder' });
        await deny(env.client, denied.id, { step: 'gated', by: 'recorder', reason: 'recorded' });
        await denied.handle.result().catch(() => undefined);
        await save('runaway-automation-denied', denied.id);
      }

      if (want('runaway-automation-flapping')) await recordFlapping(env.client, taskQueue, waitGate, save);

      if (want('service-outage-failed')) {
        const failing = await startDraft(
          env.client,
          {
            class: 'service-outage',
            severity: 'S3',
            title: 'recorded failure',
            steps: [{ id: 'fails', action: 'runCommand', retry: { maximumAttempts: 2, initialInterval: '100ms' }, args: { argv: ['false'] } }],
          },
          { taskQueue },
        );
        await failing.handle.result().catch(() => undefined);
        await save('service-outage-failed', failing.id);
      }

      // Cancelled at the gate: the saga undoes the stop (the rotation cannot be undone).
      if (want('secret-exposure-cancelled')) {
        const cancelled = await startDraft(env.client, { ...secretExposureIncident(sandbox), title: 'recorded cancel' }, { taskQueue });
        await waitGate(cancelled.id);
        await cancelIncident(env.client, cancelled.id);
        await cancelled.handle.result().catch(() => undefined);
        await save('secret-exposure-cancelled', cancelled.id);
      }

      // The built-in secret-exposure: the announcement beside the freeze, the rotation a fan-out; cancelled at the gate.
      if (want('parallel-secret-exposure-cancelled')) {
        const input = compilePlaybook(YamlSource.read(findPlaybook('secret-exposure')), {
          inventory: loadInventory(sandbox.inventoryFile),
          params: SANDBOX_PARAMS['secret-exposure']!,
        });
        const parallel = await startDraft(env.client, { ...input, title: 'recorded parallel cancel' }, { taskQueue });
        await waitGate(parallel.id);
        await cancelIncident(env.client, parallel.id);
        await parallel.handle.result().catch(() => undefined);
        await save('parallel-secret-exposure-cancelled', parallel.id);
      }

      // A fan-out under its limit, then a group joined by any whose first member fails.
      if (want('parallel-fan-out-any')) {
        const item = (n: number) => ({
          id: `run[i${n}]`,
          action: 'runCommand',
          fanOut: { step: 'run', item: `i${n}`, maxConcurrency: 2 },
          args: { argv: ['true'] },
        });
        const group = { id: 'either', join: 'any' };
        const fan = await startDraft(
          env.client,
          {
            class: 'service-outage',
            severity: 'S3',
            title: 'recorded fan-out and join any',
            steps: [
              item(1),
              item(2),
              item(3),
              { id: 'broken', action: 'runCommand', group, retry: { maximumAttempts: 1 }, args: { argv: ['false'] } },
              { id: 'working', action: 'runCommand', group, args: { argv: ['sh', '-c', 'sleep 0.5'] } },
            ],
          },
          { taskQueue },
        );
        await fan.handle.result();
        await save('parallel-fan-out-any', fan.id);
      }

      // Freeze steps as local activities: the first outlasts a workflow task (the SDK splits the
      // task, so its result lands in a later one) while a flapping alert raises the severity;
      // a quick local step, an ordinary activity and a gate follow.
      if (want('freeze-local-slow')) {
        const freeze = { phase: 'freeze', timeouts: { startToClose: '30s' }, effects: { freezes: ['agent'] } };
        const slow = await startDraft(
          env.client,
          {
            class: 'runaway-automation',
            severity: 'S3',
            title: 'recorded slow local freeze',
            steps: [
              { id: 'slow-freeze', action: 'runCommand', ...freeze, args: { argv: ['sleep', '9'] } },
              { id: 'quick-freeze', action: 'runCommand', ...freeze, args: { argv: ['true'] } },
              { id: 'contain', action: 'runCommand', args: { argv: ['true'] } },
              { id: 'gated', action: 'runCommand', approval: { required: true }, args: { argv: ['true'] } },
            ],
          },
          { taskQueue },
        );
        await new Promise((r) => setTimeout(r, 2_000));
        await slow.handle.signal(alertSignal, {
          source: 'generic',
          status: 'firing',
          fingerprint: 'recorded-slow',
          summary: 'recorded slow freeze',
          receivedAt: new Date().toISOString(),
          note: 'flapping: 5 firings within 10m',
          raiseSeverity: true,
        });
        await waitGate(slow.id);
        await approve(env.client, slow.id, { step: 'gated', by: 'recorder' });
        await slow.handle.result();
        await save('freeze-local-slow', slow.id);
      }
      if (want('freeze-local-failed')) {
        // A freeze step failing as a local activity: its failure reaches the workflow unwrapped.
        const failed = await startDraft(env.client, failingLocalFreeze('recorded failing local freeze'), { taskQueue });
        await failed.handle.result().catch(() => undefined);
        await save('freeze-local-failed', failed.id);
      }
    });
  } finally {
    await stopGateway(sandbox);
    await env.stop();
  }
}

/**
 * Started by an alert that then flaps: the intake's notice raises the severity once (the
 * `alert-severity-raise` patch upserts the search attribute), then the gate is approved.
 */
export async function recordFlapping(
  client: Client,
  taskQueue: string,
  waitGate: (id: string) => Promise<unknown>,
  save: (name: string, id: string) => Promise<void>,
): Promise<void> {
  const notice = {
    source: 'generic',
    status: 'firing' as const,
    fingerprint: 'recorded-flapping',
    summary: 'recorded flapping',
    receivedAt: new Date().toISOString(),
  };
  const draft = {
    class: 'runaway-automation',
    severity: 'S3',
    title: 'recorded flapping',
    steps: [
      { id: 'first', action: 'runCommand', phase: 'contain', args: { argv: ['true'] } },
      { id: 'gated', action: 'runCommand', approval: { required: true }, args: { argv: ['true'] } },
    ],
  };
  const flapping = await startDraft(client, draft, { taskQueue, dedupe: { key: `recorded:${randomUUID()}`, alert: notice } });
  await flapping.handle.signal(alertSignal, { ...notice, note: 'flapping: 5 firings within 10m', raiseSeverity: true });
  await waitGate(flapping.id);
  await approve(client, flapping.id, { step: 'gated', by: 'recorder' });
  await flapping.handle.result();
  await save('runaway-automation-flapping', flapping.id);
}

if (process.argv[1] === new URL(import.meta.url).pathname) await main();
