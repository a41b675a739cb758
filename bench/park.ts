/**
 * `npm run bench:park [-- --count N] [--approvals M] [--json]`: how many incidents one worker
 * holds while they wait at an approval gate, and how fast a decision lands among them.
 *
 * A dev server of its own and one `tourniquet worker` as its own process (so its memory is its
 * own). N incidents (a containment step, then a gated step) are started and each is waited for
 * until it asks for approval; then the worker's and the server's resident memory are read, and
 * M of them, spread over the whole set (most no longer in the worker's sticky cache, so they
 * replay), are approved one at a time with the `decide` update from a warm client.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { execa } from 'execa';
import { z } from 'zod';
import { decide, parseIncident, startIncident } from '../client/incidents';
import { PROJECT_ROOT } from '../common/paths';
import { STATE_MEMO, type IncidentInputDraft } from '../contract';
import { MAX_CACHED_INCIDENTS } from '../worker/create';
import { load1m, parseOptions, pct, round, rssMiB, runBench, say, withBenchServer } from './lib';

const BIN = join(PROJECT_ROOT, 'bin', 'tourniquet.js');
const USAGE = 'npm run bench:park -- [--count|--parked N] [--approvals M] [--concurrency C] [--json]';

const optionsSchema = z.object({
  count: z.coerce.number().int().min(1).max(50_000).default(5_000),
  /** The same as --count, named after the figure it sets. */
  parked: z.coerce.number().int().min(1).max(50_000).optional(),
  approvals: z.coerce.number().int().min(1).max(1_000).default(50),
  /** Starts and progress reads in flight at once. */
  concurrency: z.coerce.number().int().min(1).max(256).default(16),
  json: z.boolean().default(false),
});

const PARKED: IncidentInputDraft = {
  class: 'runaway-automation',
  severity: 'S2',
  title: 'parked at an approval gate',
  steps: [
    // Safe to run twice: a loaded worker whose heartbeat came late may be given it again.
    { id: 'contain', action: 'runCommand', args: { argv: ['true'], rerunIfInterrupted: true } },
    { id: 'gated', action: 'runCommand', approval: { required: true, identity: 'asserted' }, args: { argv: ['true'] } },
  ],
};

/** Run `work` over `items` with at most `limit` in flight; the first failure stops the rest. */
async function pool<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: unknown;
  const lane = async () => {
    while (next < items.length && failure === undefined) {
      const i = next++;
      try {
        results[i] = await work(items[i]!);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure !== undefined) throw failure;
  return results;
}

async function main(): Promise<void> {
  const o = parseOptions(
    process.argv.slice(2),
    { count: { type: 'string' }, parked: { type: 'string' }, approvals: { type: 'string' }, concurrency: { type: 'string' }, json: { type: 'boolean' } },
    optionsSchema,
    USAGE,
  );
  const count = o.parked ?? o.count;
  const loadBefore = load1m();
  const summary = await withBenchServer('park', async ({ dir, server }) => {
    const taskQueue = `bench-park-${randomBytes(4).toString('hex')}`;
    const env = { ...process.env, TEMPORAL_ADDRESS: server.address, TOURNIQUET_TASK_QUEUE: taskQueue, TOURNIQUET_HOME: join(dir, 'home'), LOG_LEVEL: 'warn' };
    const worker = execa(process.execPath, [BIN, 'worker'], { env, stdout: 'ignore', stderr: { file: join(dir, 'worker.log') }, reject: false });
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });
    try {
      const input = parseIncident(PARKED);
      const started = performance.now();
      const ids = await pool(
        Array.from({ length: count }, (_, i) => i),
        o.concurrency,
        async () => (await startIncident(client, input, { taskQueue })).id,
      );
      // The incident's state from its memo (the server answers; a query would make the worker
      // replay every incident evicted from its cache, which is most of them).
      const deadline = Date.now() + 30 * 60_000;
      await pool(ids, o.concurrency, async (id) => {
        for (;;) {
          const d = await client.workflow.getHandle(id).describe();
          const state = d.memo?.[STATE_MEMO];
          if (state === 'awaiting-approval') return;
          if (d.status.name !== 'RUNNING') throw new Error(`${id} ended ${d.status.name} before its gate`);
          if (Date.now() > deadline) throw new Error(`${id} is still ${String(state)} after 30 minutes`);
          await new Promise((r) => setTimeout(r, 500));
        }
      });
      const parkedAfterS = round((performance.now() - started) / 1000);
      if (worker.pid === undefined || worker.exitCode !== null) throw new Error(`the worker is not running (log: ${join(dir, 'worker.log')})`);
      const workerRssMiB = rssMiB(worker.pid);
      const serverRssMiB = rssMiB(server.pid);

      const decided: number[] = [];
      const step = Math.max(1, Math.floor(ids.length / o.approvals));
      for (let i = 0; i < ids.length && decided.length < o.approvals; i += step) {
        const t0 = performance.now();
        const result = await decide(client, ids[i]!, { decision: 'approve', step: 'gated', by: 'bench' });
        decided.push(performance.now() - t0);
        if (!result.decided) throw new Error(`${ids[i]} still needs ${result.needed} approval(s)`);
      }
      return {
        figures: { parked: ids.length, workerRssMiB, serverRssMiB, decideP99Ms: round(pct(decided, 0.99)) },
        parkedAfterS,
        decideP50Ms: round(pct(decided, 0.5)),
        decisions: decided.length,
      };
    } finally {
      await connection.close();
      if (worker.pid !== undefined && worker.exitCode === null) process.kill(worker.pid, 'SIGTERM');
      await worker;
    }
  });
  const f = summary.figures;
  say(`== ${f.parked} incidents parked at an approval gate on one worker (sticky cache ${MAX_CACHED_INCIDENTS}) ==`);
  say(`  ${new Date().toISOString()}, node ${process.version}, 1-minute load ${loadBefore} -> ${load1m()}`);
  say(`  all parked after ${summary.parkedAfterS} s`);
  say(`  worker RSS ${f.workerRssMiB} MiB (${round((f.workerRssMiB * 1024) / f.parked)} KiB per parked incident, all in), server RSS ${f.serverRssMiB} MiB`);
  say(`  decide (warm client, ${summary.decisions} incidents spread over the set): p50 ${summary.decideP50Ms} ms, p99 ${f.decideP99Ms} ms`);
  say('  goal at 5,000 parked: worker RSS <= 1,536 MiB, decide p99 <= 200 ms');
  if (o.json) say(JSON.stringify(f));
}

runBench(main);
