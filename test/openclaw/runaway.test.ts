/**
 * Scenario (b) of issue 10, end to end: a runaway cron job with a shell payload (`sh -c`
 * every 3 s on the gateway host) is frozen by the `openclaw-runaway-automation` playbook
 * through a real Temporal dev server and worker, and its runs stop. Asserted on the world:
 * the payload's marker file stops growing, the cron store (the gateway's own SQLite table,
 * read directly) shows the job disabled, the scheduler reports no next wake.
 *
 * One gateway for the file. TOURNIQUET_SKIP_OPENCLAW=1 skips it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { componentDisabled, connectGateway, cronStatus, fileStopsGrowing } from '../../activities/openclaw';
import { approve, recordControl } from '../../client/incidents';
import { fingerprint } from '../../common/hash';
import { PROJECT_ROOT } from '../../common/paths';
import { loadInventory } from '../../compiler';
import { discoverOpenClaw } from '../../server/openclaw/discover';
import { currentToken, driveIncident, lineCount, MINUTE, skipOpenClaw, clawWorldForSuite } from '../helpers/openclaw';
import { startDraft } from '../helpers/start';
import { waitFor } from '../helpers/temporal';

describe(
  'scenario (b): a runaway shell-payload cron job, frozen by the openclaw-runaway-automation playbook',
  { skip: skipOpenClaw, timeout: 15 * MINUTE },
  () => {
    const world = clawWorldForSuite();

    it('drills cleanly: the freeze names the shell job it would disable, and nothing changes', async () => {
      const gw = await connectGateway({ url: `ws://127.0.0.1:${world.gateway.port}`, token: world.gateway.token });
      const job = await gw.call<{ id: string }>('cron.add', {
        name: 'drill-only',
        schedule: { kind: 'every', everyMs: 3_600_000 },
        payload: { kind: 'command', argv: ['true'] },
        delivery: { mode: 'none' },
      });
      await gw.close();
      const { handle } = await startDraft(world.env.client, world.compile('openclaw-runaway-automation', 'drill'), { taskQueue: world.taskQueue });
      const result = await handle.result();
      assert.equal(result.state, 'resolved', JSON.stringify(result.steps.filter((s) => s.error)));
      const freeze = result.steps.find((s) => s.id === 'freeze-automations')!;
      assert.match(JSON.stringify(freeze.result), new RegExp(`disable the shell-payload cron job\\(s\\) drill-only \\(${job.id}\\)`));
      const stored = (await discoverOpenClaw({ stateDir: world.gateway.stateDir, sqliteNode: world.install.node, env: {} })).cronJobs;
      assert.equal(stored?.find((j) => j.id === job.id)?.enabled, true, 'the drill disabled nothing');
      assert.equal((await cronStatusNow()).enabled, true, 'the drill left the scheduler on');
    });

    it('freezes the job, and its runs stop', { timeout: 10 * MINUTE }, async (t) => {
      const ticks = join(world.gateway.root, 'runaway-ticks');
      const gw = await connectGateway({ url: `ws://127.0.0.1:${world.gateway.port}`, token: world.gateway.token });
      const job = await gw.call<{ id: string }>('cron.add', {
        name: 'runaway-tick',
        schedule: { kind: 'every', everyMs: 3_000 },
        payload: { kind: 'command', argv: ['sh', '-c', `date +%s%N >> ${ticks}`] },
        delivery: { mode: 'none' },
      });
      await gw.close();
      // The job must really run away before the incident, or "its runs stop" would prove nothing.
      await waitFor('the runaway job to run twice', async () => (lineCount(ticks) >= 2 ? true : undefined), 3 * MINUTE);

      const started = Date.now();
      const { id, handle } = await startDraft(world.env.client, world.compile('openclaw-runaway-automation', 'live'), { taskQueue: world.taskQueue });
      await driveIncident(world, id, 'the freeze to be proven', (p) => p.steps.find((s) => s.id === 'freeze-automations')?.status === 'succeeded');
      const contained = Date.now();
      t.diagnostic(`containment: ${((contained - started) / 1000).toFixed(1)} s from the start of the incident to the freeze's proof`);

      // The world: the payload's file stops growing (a run already under way may still append one line).
      await new Promise((r) => setTimeout(r, 1_000));
      const file = await fileStopsGrowing(ticks, 12_000);
      assert.equal(file.holds, true, file.observed);
      const runsAtFreeze = lineCount(ticks);
      // The cron store, read from the gateway's SQLite database: the job is disabled there.
      const stored = (await discoverOpenClaw({ stateDir: world.gateway.stateDir, sqliteNode: world.install.node, env: {} })).cronJobs;
      const row = stored?.find((j) => j.id === job.id);
      assert.deepEqual({ enabled: row?.enabled, command: row?.command?.[0] }, { enabled: false, command: 'sh' });
      // The scheduler itself: off, no next wake.
      const cron = await cronStatusNow();
      assert.deepEqual({ enabled: cron.enabled, next: cron.nextWakeAtMs }, { enabled: false, next: null });

      const waiting = await driveIncident(
        world,
        id,
        'the incident to wait for its durable control',
        (p) => p.state === 'awaiting-control',
        (step) => approve(world.env.client, id, { step, by: 'alice' }),
      );
      for (const step of ['freeze-automations', 'capture-evidence', 'smoke']) {
        const proofs = waiting.steps.find((s) => s.id === step)!.result?.proof as { holds: boolean }[] | undefined;
        assert.ok(proofs?.length && proofs.every((p) => p.holds), `${step} reports its proofs`);
      }
      const evidence = String(waiting.steps.find((s) => s.id === 'capture-evidence')!.result?.folder);
      assert.match(readFileSync(join(evidence, 'rpc', 'cron.json'), 'utf8'), /runaway-tick/, 'the evidence lists the runaway job');
      await recordControl(world.env.client, id, { kind: 'circuit-breaker', note: 'shell-payload cron jobs need review; a backoff on the job', by: 'alice' });
      assert.equal((await handle.result()).state, 'resolved');
      assert.equal(lineCount(ticks), runsAtFreeze, 'no run since the freeze, through the whole incident');
    });

    it("`tourniquet discover openclaw` writes the gateway's inventory entry, and lists its cron jobs, shell payloads flagged", async () => {
      const file = join(world.home, 'discovered.yaml');
      const cli = (args: string[]) =>
        spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin', 'tourniquet.js'), 'discover', 'openclaw', '--state-dir', world.gateway.stateDir, ...args], {
          encoding: 'utf8',
          env: { ...process.env, LOG_LEVEL: 'silent' },
        });
      const wrote = cli(['--write', file]);
      assert.equal(wrote.status, 0, wrote.stderr);
      const text = readFileSync(file, 'utf8');
      const entry = loadInventory(file).openclaw.claw!;
      assert.deepEqual(
        { stateDir: entry.stateDir, configPath: entry.configPath, port: entry.port, tokenFrom: entry.tokenFrom },
        { stateDir: world.gateway.stateDir, configPath: world.gateway.configPath, port: world.gateway.port, tokenFrom: 'config' },
      );
      assert.match(text, /runaway-tick \([0-9a-f-]+\) disabled, command SHELL PAYLOAD: \["sh","-c","date/, 'the frozen runaway job, flagged');
      assert.match(text, /heartbeat-main .* declared by heartbeat:main/);
      assert.match(text, new RegExp(`gateway token: ${fingerprint(currentToken(world.gateway))}`), 'the token by its fingerprint');
      assert.match(text, /models\.providers\.stub\.apiKey: config sha256:[0-9a-f]{16}/);
      assert.ok(!text.includes(currentToken(world.gateway)), 'never the token itself');
      const again = cli(['--write', file]);
      assert.deepEqual(
        { status: again.status, stderr: again.stderr.trim().split('\n').at(-1) },
        { status: 2, stderr: `tourniquet: ${file} exists: write to a new file and merge it into your inventory by hand` },
      );
    });

    it('openclawDisable is proven by what the running gateway reports: a plugin, a hook and a skill', async () => {
      const target = world.compile('openclaw-runaway-automation', 'drill').steps.find((st) => st.action === 'openclawSmoke')!.args as Record<string, unknown>;
      const { turn: _turn, audit: _audit, ...gateway } = target;
      const gw = await connectGateway({ url: `ws://127.0.0.1:${world.gateway.port}`, token: currentToken(world.gateway) });
      try {
        const before = await Promise.all([
          componentDisabled(gw, 'plugin', 'canvas'),
          componentDisabled(gw, 'hook', 'boot-md'),
          componentDisabled(gw, 'skill', '1password'),
        ]);
        assert.deepEqual(
          before.map((p) => p?.holds),
          [false, false, false],
          `enabled before: ${before.map((p) => p?.observed).join('; ')}`,
        );
        const { handle } = await startDraft(
          world.env.client,
          {
            class: 'runaway-automation',
            severity: 'S2',
            title: 'disable components',
            steps: [
              { id: 'plugin', action: 'openclawDisable', args: { ...gateway, kind: 'plugin', name: 'canvas' } },
              { id: 'hook', action: 'openclawDisable', args: { ...gateway, kind: 'hook', name: 'boot-md' } },
              { id: 'skill', action: 'openclawDisable', args: { ...gateway, kind: 'skill', name: '1password' } },
            ],
          },
          { taskQueue: world.taskQueue },
        );
        const result = await handle.result();
        assert.equal(result.state, 'resolved', JSON.stringify(result.steps.filter((st) => st.error)));
        for (const step of result.steps) {
          const proofs = step.result?.proof as { check: string; holds: boolean }[];
          assert.equal(proofs.length, 2, `${step.id}: the config and the live report`);
          assert.ok(proofs.every((p) => p.holds));
        }
        // The world, asked again after the incident.
        const after = await Promise.all([
          componentDisabled(gw, 'plugin', 'canvas'),
          componentDisabled(gw, 'hook', 'boot-md'),
          componentDisabled(gw, 'skill', '1password'),
        ]);
        assert.deepEqual(
          after.map((p) => p?.holds),
          [true, true, true],
          after.map((p) => p?.observed).join('; '),
        );
      } finally {
        await gw.close();
      }
    });

    async function cronStatusNow() {
      const gw = await connectGateway({ url: `ws://127.0.0.1:${world.gateway.port}`, token: world.gateway.token });
      try {
        return await cronStatus(gw);
      } finally {
        await gw.close();
      }
    }
  },
);
