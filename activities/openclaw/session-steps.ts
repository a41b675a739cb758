/**
 * Sessions: abort the runs of runaway sessions (`sessions.abort`, queued follow-ups cleared).
 *
 * The gateway's "aborted" is not the proof: a run it cannot reach (a background review that
 * re-reads an aborted session, a sub-agent) keeps going after it. The proof is each session's
 * transcript in the agent database not growing over a quiet window, and `sessions.list`
 * showing no run in flight; when either fails, the step fails and says to stop the gateway.
 */
import type { ActionArgs, OpenClawGateway } from '../../contract';
import type { ActivityDeps } from '../deps';
import { StepError } from '../errors';
import { defineStep, type StepIO } from '../step';
import type { GatewayConnection } from './client';
import { abortSession, listSessions } from './levers';
import type { Proof } from './oracles';
import { identify, withConnection } from './shared';
import { transcriptEventCounts } from './sqlite';

interface SessionRow {
  key: string;
  sessionId?: string;
  agentId?: string;
  hasActiveRun?: boolean;
  activeRunIds?: string[];
}
type Target = { key: string; sessionId?: string | undefined; agentId: string; active: boolean; runs: string[] };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function sessionRows(gw: GatewayConnection): Promise<SessionRow[]> {
  return (await listSessions(gw)) as SessionRow[];
}

/** The sessions named (each must exist), or every session with a run in flight when none is. */
async function targetsOf(gw: GatewayConnection, args: ActionArgs<'openclawAbortSessions'>): Promise<Target[]> {
  const rows = await sessionRows(gw);
  const missing = args.sessions.filter((k) => !rows.some((r) => r.key === k));
  if (missing.length)
    throw new StepError(
      'TargetNotFound',
      `${args.gateway} has no session ${missing.join(', ')} (sessions.list: ${rows
        .slice(0, 10)
        .map((r) => r.key)
        .join(', ')}${rows.length > 10 ? ', …' : ''}): check the session key`,
    );
  const chosen = args.sessions.length ? rows.filter((r) => args.sessions.includes(r.key)) : rows.filter((r) => r.hasActiveRun);
  return chosen.map((r) => ({ key: r.key, sessionId: r.sessionId, agentId: r.agentId ?? 'main', active: r.hasActiveRun === true, runs: r.activeRunIds ?? [] }));
}

const describe = (t: Target) => `${t.key} (${t.active ? `a run in flight${t.runs.length ? `: ${t.runs.join(', ')}` : ''}` : 'no run in flight'})`;

/** The transcripts of the targets, counted now and after `quietMs`; equal counts mean no run wrote. */
async function transcriptsQuiet(deps: ActivityDeps, io: StepIO, g: OpenClawGateway, targets: Target[], quietMs: number): Promise<Proof[]> {
  const read = targets.filter((t): t is Target & { sessionId: string } => t.sessionId !== undefined);
  if (!read.length) return [];
  const before = await transcriptEventCounts(deps, io, g, read);
  const until = Date.now() + quietMs;
  while (Date.now() < until) {
    io.heartbeat({ quiet: Math.ceil((until - Date.now()) / 1000) });
    await sleep(Math.min(1_000, until - Date.now()));
  }
  const after = await transcriptEventCounts(deps, io, g, read);
  return read.map((t) => ({
    holds: after[t.sessionId] === before[t.sessionId],
    check: `the transcript of ${t.key} (${t.sessionId}) gains no event in ${quietMs} ms`,
    observed: `${before[t.sessionId]} → ${after[t.sessionId]} event(s)`,
  }));
}

export function sessionSteps(deps: ActivityDeps) {
  const openclawAbortSessions = defineStep(deps, 'openclawAbortSessions', {
    plan: async (args) => {
      const targets = await withConnection(args, (gw) => targetsOf(gw, args));
      return [
        await identify(args),
        {
          kind: 'command',
          detail: targets.length
            ? `sessions.abort {clearQueued: true} on ${args.gateway} for ${targets.map(describe).join(', ')}; then expect their transcripts to stay unchanged for ${args.quietMs} ms and sessions.list to show no run in flight`
            : `nothing to abort on ${args.gateway}: no session has a run in flight (sessions.list)`,
        },
      ];
    },
    run: async (io, args) => {
      // The sessions found first: a retry aborts and checks the same ones (after an abort, "every
      // active session" would be none).
      const recorded = io.pending?.record?.targets as Target[] | undefined;
      const { targets, answers } = await withConnection(args, async (gw) => {
        const targets = recorded ?? (await targetsOf(gw, args));
        if (!recorded) io.markPending({ targets });
        const answers: string[] = [];
        for (const t of targets) {
          const answer = await abortSession(gw, t.key);
          answers.push(`${t.key}: ${answer.status ?? (answer.ok ? 'ok' : 'refused')}${answer.abortedRunId ? ` (run ${answer.abortedRunId})` : ''}`);
        }
        return { targets, answers };
      });
      const proofs = await transcriptsQuiet(deps, io, args, targets, args.quietMs);
      const rows = await withConnection(args, sessionRows);
      // Every session, not only the targets, when none was named: a run the abort did not reach
      // (a background review of the aborted session) shows up here.
      const watched = args.sessions.length ? rows.filter((r) => targets.some((t) => t.key === r.key)) : rows;
      const running = watched.filter((r) => r.hasActiveRun);
      proofs.push({
        holds: running.length === 0,
        check: args.sessions.length
          ? `sessions.list shows no run in flight for ${args.sessions.join(', ')}`
          : 'sessions.list shows no session with a run in flight',
        observed: running.length
          ? `still running: ${running.map((r) => `${r.key} (${(r.activeRunIds ?? []).join(', ')})`).join(', ')}`
          : `${watched.length} session(s), none running`,
      });
      const failed = proofs.filter((p) => !p.holds);
      if (failed.length)
        throw new StepError(
          'VerificationFailed',
          `the abort on ${args.gateway} is not confirmed (${failed.map((p) => `${p.check}: ${p.observed}`).join('; ')}): a run sessions.abort does not reach (a background review, a sub-agent) keeps going; stop the gateway instead (openclawStopGateway)`,
        );
      return {
        summary: targets.length
          ? `aborted ${targets.length} session(s) of ${args.gateway} (${answers.join('; ')}): ${proofs.map((p) => p.observed).join('; ')}`
          : `no session of ${args.gateway} had a run in flight: ${proofs.map((p) => p.observed).join('; ')}`,
        data: { gateway: args.gateway, sessions: targets.map((t) => t.key), answers, proof: proofs, undo: null },
      };
    },
  });
  return { openclawAbortSessions };
}
