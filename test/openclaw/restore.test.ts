/**
 * Restoring a real OpenClaw gateway from an `openclaw backup create` archive, through a real
 * Temporal dev server and worker: the drill names the archive and the service and changes
 * nothing; the restore brings back the backup's state (a marker file returns, a file made
 * after the backup is gone from the live state but kept in the state moved aside), at mode
 * 700, with the gateway started again in a session of its own and ready; and the backup's
 * old token, alive again after the restore, is killed by the rotation that follows (HTTP 401
 * on /tools/invoke for every earlier token, 200 for the new one).
 *
 * One gateway for the file. TOURNIQUET_SKIP_OPENCLAW=1 skips it.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectGateway, readiness, readGatewayLock, rotateGatewayToken, toolsInvokeStatus } from '../../activities/openclaw';
import { isAlive, readPidfile, sessionOf } from '../../activities/process';
import type { Inventory } from '../../compiler';
import type { IncidentProgress } from '../../contract';
import { currentToken, MINUTE, skipOpenClaw, startClawWorld, type ClawWorld } from '../helpers/openclaw';
import { startDraft } from '../helpers/start';
import { waitFor } from '../helpers/temporal';

describe('restoring an OpenClaw gateway from a backup, then rotating the token it brought back', { skip: skipOpenClaw, timeout: 15 * MINUTE }, () => {
  let world: ClawWorld;
  let pidfile: string;
  let backups: string;

  before(
    async () => {
      world = await startClawWorld();
      const g = world.gateway;
      pidfile = join(g.root, 'run', 'gateway.pid');
      backups = join(g.root, 'backups');
      mkdirSync(join(g.root, 'run'));
      mkdirSync(backups);
      const envFile = join(g.root, 'gateway.env');
      const keys = ['PATH', 'HOME', 'OPENCLAW_HOME', 'OPENCLAW_STATE_DIR', 'OPENCLAW_CONFIG_PATH', 'OPENCLAW_GATEWAY_PORT', 'OPENCLAW_DISABLE_BONJOUR'];
      const more = ['OPENCLAW_OFFLINE', 'OPENCLAW_NO_AUTO_UPDATE', 'CI', 'DO_NOT_TRACK', 'NO_COLOR', 'TMPDIR', 'XDG_RUNTIME_DIR', 'XDG_CONFIG_HOME'];
      writeFileSync(envFile, `${[...keys, ...more].map((k) => `${k}=${g.env[k]}`).join('\n')}\n`, { mode: 0o600 });
      // How the gateway runs, so the restore can start it again: a process service.
      world.inventory.services['claw-gateway'] = {
        manager: {
          kind: 'process',
          pidfile,
          command: [world.install.node, world.install.openclawEntry, 'gateway', 'run', '--port', String(g.port)],
          cwd: g.root,
          envFile,
          logFile: g.outputPath,
          probe: { port: g.port },
        },
        probe: { port: g.port },
        logs: [],
      } as unknown as Inventory['services'][string];
      world.inventory.openclaw.claw = { ...world.inventory.openclaw.claw!, service: 'claw-gateway', backups };
    },
    { timeout: 10 * MINUTE },
  );

  after(async () => {
    // The gateway the restore started is not the harness's child: stop its session here.
    const pid = pidfile && existsSync(pidfile) ? readPidfile(pidfile) : undefined;
    if (pid && isAlive(pid)) {
      process.kill(-pid, 'SIGTERM');
      await waitFor('the restored gateway to exit', async () => (isAlive(pid) ? undefined : true), MINUTE).catch(() => process.kill(-pid, 'SIGKILL'));
    }
    await world?.stop();
  });

  /** The compiled arguments of the built-in playbook's restore step, for this gateway. */
  function restoreArgs() {
    return world.compile('openclaw-destructive-action', 'drill').steps.find((s) => s.action === 'openclawRestoreBackup')!.args;
  }

  async function run(steps: { id: string; action: string; args: Record<string, unknown> }[], mode: 'live' | 'drill'): Promise<IncidentProgress> {
    const { handle } = await startDraft(
      world.env.client,
      { class: 'destructive-action', severity: 'S2', title: 'restore', mode, steps },
      { taskQueue: world.taskQueue },
    );
    return handle.result();
  }

  const invoke = (token: string) => toolsInvokeStatus(world.gateway.url, token);

  it('restores the state, starts the gateway again, and the rotation after it kills every earlier token', { timeout: 12 * MINUTE }, async (t) => {
    const g = world.gateway;
    const marker = join(g.workspaceDir, 'RESTORE-MARKER.md');
    const canary = `restore canary ${Date.now()}`;
    writeFileSync(marker, canary);
    const created = await g.cli(['backup', 'create', '--output', backups, '--verify', '--json'], { timeoutMs: 5 * MINUTE });
    assert.equal(created.exitCode, 0, created.stderr);
    const backupToken = currentToken(g);

    // After the backup: the token is rotated (the backup's is now dead), the marker deleted, a file planted.
    const gw = await connectGateway({ url: `ws://127.0.0.1:${g.port}`, token: backupToken });
    const { token: beforeRestore } = await rotateGatewayToken(gw);
    await gw.close();
    await waitFor('the backup token to be refused', async () => ((await invoke(backupToken)) === 401 ? true : undefined), MINUTE);
    rmSync(marker);
    writeFileSync(join(g.workspaceDir, 'PLANTED.md'), 'written after the backup');
    const originalPid = g.pid;

    // The drill names the archive and the service, and changes nothing.
    const drill = await run([{ id: 'restore', action: 'openclawRestoreBackup', args: restoreArgs() }], 'drill');
    assert.equal(drill.state, 'resolved', JSON.stringify(drill.steps.map((s) => s.error)));
    assert.match(JSON.stringify(drill.steps[0]!.result), /openclaw backup verify .*backups\/.*\.tar\.gz/);
    assert.match(JSON.stringify(drill.steps[0]!.result), /start claw as claw-gateway runs it/);
    assert.ok(isAlive(originalPid), 'the drill left the gateway running');
    assert.ok(!existsSync(marker) && existsSync(join(g.workspaceDir, 'PLANTED.md')), 'the drill left the state as it was');

    const started = Date.now();
    const restored = await run([{ id: 'restore', action: 'openclawRestoreBackup', args: restoreArgs() }], 'live');
    assert.equal(restored.state, 'resolved', JSON.stringify(restored.steps.map((s) => s.error)));
    t.diagnostic(`restore: ${((Date.now() - started) / 1000).toFixed(1)} s from the start of the incident to the proven restore`);
    const result = restored.steps[0]!.result as { pid: number; aside: string; proof: { holds: boolean; check: string }[] };
    assert.ok(result.proof.every((p) => p.holds));

    // The world: the backup's state is live, the state before is kept aside, the dir is private.
    assert.equal(readFileSync(marker, 'utf8'), canary, 'the marker from the backup is back');
    assert.ok(!existsSync(join(g.workspaceDir, 'PLANTED.md')), 'what was written after the backup is gone from the live state');
    assert.equal(readFileSync(join(result.aside, 'workspace', 'PLANTED.md'), 'utf8'), 'written after the backup', 'and kept in the state moved aside');
    assert.equal(statSync(g.stateDir).mode & 0o777, 0o700);
    // A new gateway process, in its own session, named by the pidfile and the lock file, and ready.
    assert.ok(!isAlive(originalPid), 'the gateway found running was stopped');
    const pid = readPidfile(pidfile)!;
    assert.equal(result.pid, pid);
    assert.equal(sessionOf(pid), pid, 'the gateway leads a session of its own');
    assert.equal(readGatewayLock(g.stateDir)?.pid, pid);
    assert.equal((await readiness(g.url)).httpStatus, 200);
    // The restore brought the backup's token back to life, and the one valid before it is dead.
    assert.equal(currentToken(g), backupToken);
    assert.equal(await invoke(backupToken), 200, "the backup's old token works again");
    assert.equal(await invoke(beforeRestore), 401);

    const { archive: _a, backups: _b, service: _s, ...gateway } = restoreArgs();
    const rotation = await run([{ id: 'rotate', action: 'openclawRotateToken', args: gateway }], 'live');
    assert.equal(rotation.state, 'resolved', JSON.stringify(rotation.steps.map((s) => s.error)));
    const fresh = currentToken(g);
    assert.notEqual(fresh, backupToken);
    assert.deepEqual(
      { backup: await invoke(backupToken), beforeRestore: await invoke(beforeRestore), fresh: await invoke(fresh) },
      { backup: 401, beforeRestore: 401, fresh: 200 },
    );
  });
});
