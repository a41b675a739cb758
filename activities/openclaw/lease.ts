/**
 * `renewPause`: the short activity the workflow runs before a gateway pause's lease runs out
 * (workflows/leases.ts). Not a step: no playbook names it, and it has no journal entry of its
 * own: asking again for the same suspension is what a renewal is, so a retry is harmless.
 */
import { Context } from '@temporalio/activity';
import { actionArgs, formatIssues, type OpenClawGateway } from '../../contract';
import type { ActivityDeps } from '../deps';
import { StepError, toFailure } from '../errors';
import { connectGateway } from './client';
import { readiness, suspendGateway } from './levers';
import { httpUrl, pauseRequestId, readToken, wsUrl } from './shared';

export interface PauseLease {
  suspensionId: string;
  /** When the gateway ends the suspension by itself (its clock). */
  expiresAtMs: number;
  /** How long the lease had left when the worker read the answer: what the workflow times by, free of clock skew. */
  leftMs: number;
}

export interface RenewPauseInput {
  /** The `openclawPause` step whose lease this is. */
  stepId: string;
  gateway: OpenClawGateway;
  /** The suspension held so far; a different one in the answer means the lease ran out in between. */
  suspensionId: string;
}

export function leaseActivities(deps: ActivityDeps) {
  const log = deps.logger.child({ component: 'lease' });

  /**
   * `gateway.suspend.prepare` again under the pause's request id: the gateway extends the held
   * suspension by a full lease, or, when it ran out meanwhile, suspends anew (a new id). Proven
   * by `/readyz` reporting `gateway-draining` afterwards.
   */
  async function renewPause(input: RenewPauseInput): Promise<PauseLease> {
    const { attempt, workflowExecution } = Context.current().info;
    try {
      const parsed = actionArgs.openclawPause.safeParse(input.gateway);
      if (!parsed.success) throw new StepError('InvalidArguments', `renewPause: ${formatIssues(parsed.error).join('; ')}`);
      if (!workflowExecution) throw new StepError('InvalidArguments', 'renewPause runs only for an incident workflow');
      const g = parsed.data;
      const gw = await connectGateway({ url: wsUrl(g), token: readToken(g), timeoutMs: 8_000 });
      let answer: Awaited<ReturnType<typeof suspendGateway>>;
      try {
        answer = await suspendGateway(gw, pauseRequestId(workflowExecution.workflowId, input.stepId));
      } finally {
        await gw.close().catch(() => undefined);
      }
      if (answer.status !== 'ready' || !answer.suspensionId || typeof answer.expiresAtMs !== 'number')
        // Only after a lapse can new work have started: it may have drained by the next try.
        throw new Error(`${g.gateway} did not renew its suspension (${answer.status}: ${JSON.stringify(answer.blockers ?? []).slice(0, 200)})`);
      const ready = await readiness(httpUrl(g));
      if (!ready.failing.includes('gateway-draining'))
        throw new StepError(
          'VerificationFailed',
          `${g.gateway} renewed its suspension but GET /readyz reports ${ready.httpStatus} (${ready.failing.join(', ') || 'ready'})`,
        );
      const lease = { suspensionId: answer.suspensionId, expiresAtMs: answer.expiresAtMs, leftMs: answer.expiresAtMs - deps.now().getTime() };
      log.info(
        {
          incident: workflowExecution.workflowId,
          step: input.stepId,
          gateway: g.gateway,
          expiresAt: new Date(lease.expiresAtMs).toISOString(),
          renewed: lease.suspensionId === input.suspensionId,
        },
        lease.suspensionId === input.suspensionId ? 'pause renewed' : 'pause lapsed and suspended anew',
      );
      return lease;
    } catch (err) {
      log.warn({ step: input.stepId, attempt, err: err instanceof Error ? err.message : String(err) }, 'pause renewal failed');
      throw toFailure(err, attempt);
    }
  }

  return { renewPause };
}

export type LeaseActivities = ReturnType<typeof leaseActivities>;
