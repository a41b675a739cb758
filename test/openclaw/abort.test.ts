/**
 * A runaway tool loop on a real OpenClaw gateway, stopped by `openclawAbortSessions` through a
 * real Temporal dev server and worker. The loop is the model stub asking for a tool on every
 * call of one session; asserted on the world: the drill names the run and the loop goes on;
 * an unknown session key is refused; after the abort the stub gets no further call from the
 * loop and `sessions.list` shows no run for the session.
 *
 * One gateway for the file. TOURNIQUET_SKIP_OPENCLAW=1 skips it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connectGateway, listSessions } from '../../activities/openclaw';
import { getProgress } from '../../client/incidents';
import { contentText, defaultScript, type RecordedRequest } from '../../server/openclaw/model-stub';
import { currentToken, MINUTE, skipOpenClaw, clawWorldForSuite } from '../helpers/openclaw';
import { startDraft } from '../helpers/start';
import { waitFor } from '../helpers/temporal';

describe('aborting a runaway session on a real OpenClaw gateway', { skip: skipOpenClaw, timeout: 12 * MINUTE }, () => {
  const world = clawWorldForSuite();

  it(
    'openclawAbortSessions stops a tool loop: the drill changes nothing, the abort is proven, and the model gets no further call',
    { timeout: 8 * MINUTE },
    async (t) => {
      const key = 'agent:main:runaway-loop';
      // A tool loop for the session whose operator message starts with RUN_LOOP (a background
      // reviewer quoting it does not loop), bounded so a run the abort missed cannot eat the host.
      let loops = 0;
      const isLoop = (r: RecordedRequest) => /^(?:\[[^\]\n]*\]\s*)?RUN_LOOP/.test(contentText(r.messages.find((m) => m.role === 'user')?.content).trimStart());
      world.stub.setScript((r) =>
        isLoop(r) && loops++ < 400
          ? {
              toolCall: {
                name: r.toolNames.includes('sessions_list') ? 'sessions_list' : 'exec',
                arguments: r.toolNames.includes('sessions_list') ? {} : { command: 'true' },
              },
            }
          : defaultScript(r),
      );
      const loopCalls = () => world.stub.requests.filter(isLoop).length;
      const target = world.compile('openclaw-runaway-automation', 'drill').steps.find((st) => st.action === 'openclawSmoke')!.args as Record<string, unknown>;
      const { turn: _turn, audit: _audit, ...gateway } = target;
      /** The incident's progress once it ended (a failed incident fails its workflow). */
      const run = async (mode: 'live' | 'drill', sessions: string[]) => {
        const steps = [{ id: 'abort', action: 'openclawAbortSessions', args: { ...gateway, sessions } }];
        const { id, handle } = await startDraft(
          world.env.client,
          { class: 'runaway-automation', severity: 'S2', title: 'abort', mode, steps },
          { taskQueue: world.taskQueue },
        );
        await handle.result().catch(() => undefined);
        return getProgress(world.env.client, id);
      };
      try {
        const gw = await connectGateway({ url: `ws://127.0.0.1:${world.gateway.port}`, token: currentToken(world.gateway) });
        await gw.call('agent', { message: 'RUN_LOOP', agentId: 'main', sessionKey: key, idempotencyKey: `loop-${Date.now()}` });
        const active = async () => ((await listSessions(gw)).find((r) => r.key === key) as { hasActiveRun?: boolean } | undefined)?.hasActiveRun;
        await waitFor(
          'the loop to call the model four times, its run in flight',
          async () => (loopCalls() >= 4 && (await active()) ? true : undefined),
          3 * MINUTE,
        );

        const row = (await listSessions(gw)).find((r) => r.key === key);
        t.diagnostic(
          `before the drill: ${loopCalls()} loop call(s); sessions.list: ${JSON.stringify({ active: row?.hasActiveRun, runs: row?.activeRunIds, status: row?.status })}`,
        );
        // The drill names the run it would abort, and the loop goes on.
        const drill = await run('drill', [key]);
        assert.equal(drill.state, 'resolved', JSON.stringify(drill.steps.map((st) => st.error)));
        assert.match(JSON.stringify(drill.steps[0]!.result), new RegExp(`sessions\\.abort \\{clearQueued: true\\} on claw for ${key} \\(a run in flight`));
        const atDrill = loopCalls();
        await waitFor('the loop to go on after the drill', async () => (loopCalls() > atDrill ? true : undefined), MINUTE);
        // A session that does not exist is an error, in a drill too.
        const unknown = await run('drill', ['agent:main:no-such-session']);
        assert.equal(unknown.state, 'failed');
        assert.match(String(unknown.steps[0]!.error), /TargetNotFound: claw has no session agent:main:no-such-session/);

        const live = await run('live', [key]);
        assert.equal(live.state, 'resolved', JSON.stringify(live.steps.map((st) => st.error)));
        const proofs = live.steps[0]!.result?.proof as { holds: boolean; check: string }[];
        assert.deepEqual(
          proofs.map((p) => p.holds),
          [true, true],
          'the transcript stayed unchanged and sessions.list shows no run',
        );
        // The world: the model gets no further call from the loop, and the gateway lists no run for the session.
        const atAbort = loopCalls();
        await new Promise((r) => setTimeout(r, 10_000));
        assert.equal(loopCalls(), atAbort, 'no model call from the loop in the 10 s after the abort was proven');
        assert.ok(atAbort >= 5, `the loop really ran (${atAbort} calls)`);
        assert.equal(await active(), false, 'sessions.list shows no run for the session');
        await gw.close();
      } finally {
        world.stub.setScript(defaultScript);
      }
    },
  );
});
