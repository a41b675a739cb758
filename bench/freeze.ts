/**
 * `npm run bench:freeze [-- --reps N] [--hang-ms MS] [--json]`: the time from starting a
 * secret-exposure incident to its freeze, when the chat channel it announces on hangs for
 * `--hang-ms` (default 10 s) before answering. Both shapes in one run, interleaved, on one
 * server and the demo sandbox:
 *
 * - sequential: the order before parallel groups, the announcement first, then the freeze
 *   (test/fixtures/playbooks/secret-exposure-sequential.yaml);
 * - parallel: the built-in order, the announcement and the freeze side by side
 *   (test/fixtures/playbooks/secret-exposure-parallel.yaml, the built-in plus a channel).
 *
 * "Freeze" is the moment the `stopService` step's activity returned (its `endedAt`, the worker's
 * clock; in the freeze phase it runs as a local activity, so there is no server event to read): it
 * returns only once the gateway's process is gone and its port no longer answers.
 * Each incident is then cancelled, which starts the gateway again for the next one. Prints
 * figures; judges nothing.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { isAlive, readPidfile } from '../activities/process';
import { cancelIncident, getProgress, startIncident } from '../client/incidents';
import { compilePlaybook, loadInventory, YamlSource, type Inventory } from '../compiler';
import { PROJECT_ROOT } from '../common/paths';
import { createSandbox, SANDBOX_PARAMS, startGateway, stopGateway, type Sandbox } from '../demo/sandbox';
import { createWorker } from '../worker/create';
import { connectEngine } from './engine';
import { parseOptions, pct, round, runBench, say, withBenchServer } from './lib';
import { slowHook } from './slow-hook';

const optionsSchema = z.object({
  reps: z.coerce.number().int().min(1).max(50).default(3),
  'hang-ms': z.coerce.number().int().min(0).max(50_000).default(10_000),
  json: z.boolean().default(false),
});
const OPTIONS = { reps: { type: 'string' }, 'hang-ms': { type: 'string' }, json: { type: 'boolean' } } as const;

const SHAPES = ['sequential', 'parallel'] as const;
type Shape = (typeof SHAPES)[number];

/** The sandbox's inventory with a chat channel at `url` (kept in an env file, as a Slack webhook's secret URL is). */
function withChannel(inventory: Inventory, dir: string, url: string, hangMs: number): Inventory {
  const envFile = join(dir, 'chat.env');
  writeFileSync(envFile, `CHAT_URL=${url}\n`, { mode: 0o600 });
  // The post waits out the hang instead of timing out into retries: the figure is the hang's cost, once.
  const timeoutMs = Math.min(60_000, hangMs + 5_000);
  return { ...inventory, channels: { chat: { kind: 'webhook', urlFrom: { envFile, key: 'CHAT_URL' }, timeoutMs } } };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), OPTIONS, optionsSchema, 'npm run bench:freeze -- [--reps N] [--hang-ms MS] [--json]');
  const { reps, json } = options;
  const hangMs = options['hang-ms'];
  const loadBefore = loadavg()[0]!;
  const hook = await slowHook(hangMs);
  let sb: Sandbox | undefined;
  try {
    await withBenchServer('freeze', async ({ dir, server, logger }) => {
      const home = join(dir, 'home');
      sb = await createSandbox(join(dir, 'sandbox'));
      const inventory = withChannel(loadInventory(sb.inventoryFile), dir, hook.url, hangMs);
      const engine = await connectEngine(server, 'freeze');
      const { workflowBundle, nativeConnection, client, taskQueue } = engine;
      const worker = await createWorker({ connection: nativeConnection, namespace: 'default', taskQueue, home, logger, workflowBundle });
      const samples: Record<Shape, number[]> = { sequential: [], parallel: [] };
      const sandbox = sb;
      await worker.runUntil(async () => {
        for (let i = 0; i < reps; i++) {
          // Interleaved, so a burst of load on this shared machine hits both shapes alike.
          for (const shape of SHAPES) {
            const pid = readPidfile(sandbox.pidfile);
            if (pid === undefined || !isAlive(pid)) await startGateway(sandbox);
            const input = compilePlaybook(YamlSource.read(join(PROJECT_ROOT, 'test', 'fixtures', 'playbooks', `secret-exposure-${shape}.yaml`)), {
              inventory,
              params: { ...SANDBOX_PARAMS['secret-exposure']!, channel: 'chat' },
              home,
            });
            const t0 = Date.now();
            const { id, handle } = await startIncident(client, input, { taskQueue });
            samples[shape].push((await waitForFreeze(client, id)) - t0);
            // Cancelling undoes the freeze: the gateway runs again for the next incident.
            await cancelIncident(client, id);
            await handle.result().catch(() => undefined);
          }
        }
      });
      await engine.close();
      const loadAfter = loadavg()[0]!;
      const p50 = (xs: number[]) => pct(xs, 0.5);
      const summary = {
        reps,
        hangMs,
        sequentialP50Ms: p50(samples.sequential),
        parallelP50Ms: p50(samples.parallel),
        sequentialMs: samples.sequential,
        parallelMs: samples.parallel,
        loadBefore: round(loadBefore),
        loadAfter: round(loadAfter),
      };
      say(`== secret-exposure, start -> freeze confirmed, the announcement's channel hanging ${hangMs} ms: ${reps} rep(s) per shape, interleaved ==`);
      say(`  ${new Date().toISOString()}, node ${process.version}, load ${loadBefore.toFixed(2)} -> ${loadAfter.toFixed(2)}`);
      for (const shape of SHAPES) {
        const xs = samples[shape];
        say(
          `  ${`${shape}:`.padEnd(12)} p50 ${String(p50(xs)).padStart(6)} ms  min ${String(Math.min(...xs)).padStart(6)}  max ${String(Math.max(...xs)).padStart(6)}  (${xs.join(', ')})`,
        );
      }
      if (json) say(JSON.stringify(summary));
    });
  } finally {
    hook.close();
    if (sb) await stopGateway(sb);
  }
}

/** When the freeze step confirmed the gateway gone (its endedAt), once the incident shows it. */
async function waitForFreeze(client: Client, id: string): Promise<number> {
  for (;;) {
    const p = await getProgress(client, id);
    const freeze = p.steps.find((s) => s.id === 'freeze-service');
    if (freeze?.status === 'succeeded' && freeze.endedAt) return Date.parse(freeze.endedAt);
    if (freeze?.status === 'failed' || p.endedAt) throw new Error(`incident ${id} did not freeze: ${freeze?.error ?? p.state}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

runBench(main);
