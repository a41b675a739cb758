/** smokeTest: a read-only HTTP GET. It never sends a body and never follows a redirect to act. */
import type { ActivityDeps } from './deps';
import { StepError } from './errors';
import { defineStep } from './step';

export function smokeActivities(deps: ActivityDeps) {
  const smokeTest = defineStep(deps, 'smokeTest', {
    plan: (args) => [{ kind: 'http', detail: `GET ${args.url} and expect ${args.expectStatus} within ${args.timeoutMs} ms` }],
    run: async (_io, args) => {
      const started = performance.now();
      let status: number;
      try {
        const response = await deps.fetch(args.url, { method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(args.timeoutMs) });
        status = response.status;
        await response.body?.cancel();
      } catch (err) {
        throw new StepError('VerificationFailed', `GET ${args.url} failed: ${(err as Error).message}`);
      }
      const latencyMs = Math.round(performance.now() - started);
      if (status !== args.expectStatus) throw new StepError('VerificationFailed', `GET ${args.url} answered ${status}, expected ${args.expectStatus}`);
      return { summary: `GET ${args.url} → ${status} in ${latencyMs} ms`, data: { url: args.url, status, latencyMs } };
    },
  });
  return { smokeTest };
}
