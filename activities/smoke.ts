/**
 * smokeTest: read-only checks. HTTP: one GET, no body, redirects not followed; status, body
 * pattern, latency bound. Command: exit code and output pattern (read-only by contract: the
 * playbook author picks a command that cannot repeat the incident).
 */
import type { ActionArgs, StepResult } from '../contract';
import type { ActivityDeps } from './deps';
import { StepError } from './errors';
import { defineStep, withHeartbeat, type StepIO } from './step';

type Http = Extract<ActionArgs<'smokeTest'>, { kind: 'http' }>;
type Command = Extract<ActionArgs<'smokeTest'>, { kind: 'command' }>;

/** Body bytes read for a body pattern: enough for a health page, bounded for a huge one. */
const BODY_LIMIT = 1 << 20;

async function http(deps: ActivityDeps, io: StepIO, args: Http): Promise<StepResult> {
  const started = performance.now();
  let status: number;
  let body = '';
  try {
    const response = await deps.fetch(args.url, {
      method: 'GET',
      redirect: 'manual',
      signal: AbortSignal.any([io.signal, AbortSignal.timeout(args.timeoutMs)]),
    });
    status = response.status;
    if (args.bodyPattern !== undefined) body = (await response.text()).slice(0, BODY_LIMIT);
    else await response.body?.cancel();
  } catch (err) {
    throw new StepError('VerificationFailed', `GET ${args.url} failed: ${(err as Error).message}`);
  }
  const latencyMs = Math.round(performance.now() - started);
  if (status !== args.expectStatus) throw new StepError('VerificationFailed', `GET ${args.url} answered ${status}, expected ${args.expectStatus}`);
  if (args.bodyPattern !== undefined && !new RegExp(args.bodyPattern).test(body)) {
    throw new StepError('VerificationFailed', `GET ${args.url} answered ${status} but its body does not match /${args.bodyPattern}/`);
  }
  if (args.maxLatencyMs !== undefined && latencyMs > args.maxLatencyMs) {
    throw new StepError('VerificationFailed', `GET ${args.url} took ${latencyMs} ms, more than the ${args.maxLatencyMs} ms allowed`);
  }
  return {
    summary: `GET ${args.url} → ${status} in ${latencyMs} ms`,
    data: { url: args.url, status, latencyMs, ...(args.bodyPattern !== undefined ? { bodyMatched: true } : {}) },
  };
}

async function command(deps: ActivityDeps, io: StepIO, args: Command): Promise<StepResult> {
  const result = await withHeartbeat(io, deps.run(args.argv, { ...(args.cwd ? { cwd: args.cwd } : {}), signal: io.signal, timeoutMs: args.timeoutMs }));
  if (result.exitCode !== args.expectExitCode) {
    throw new StepError('VerificationFailed', `${args.argv[0]} exited ${result.exitCode}, expected ${args.expectExitCode}`);
  }
  if (args.outputPattern !== undefined && !new RegExp(args.outputPattern, 'm').test(`${result.stdout}\n${result.stderr}`)) {
    throw new StepError('VerificationFailed', `${args.argv[0]} exited ${result.exitCode} but its output does not match /${args.outputPattern}/`);
  }
  // Output stays out of history: it may hold secrets.
  return {
    summary: `${args.argv[0]} exited ${result.exitCode}${args.outputPattern ? ', output matched' : ''}`,
    data: { exitCode: result.exitCode, ms: Math.round(result.durationMs) },
  };
}

export function smokeActivities(deps: ActivityDeps) {
  const smokeTest = defineStep(deps, 'smokeTest', {
    plan: (args) =>
      args.kind === 'http'
        ? [
            {
              kind: 'http',
              detail: `GET ${args.url} and expect ${args.expectStatus}${args.bodyPattern ? ` with a body matching /${args.bodyPattern}/` : ''} within ${args.maxLatencyMs ?? args.timeoutMs} ms`,
            },
          ]
        : [
            {
              kind: 'command',
              detail: `run ${JSON.stringify(args.argv)} and expect exit code ${args.expectExitCode}${args.outputPattern ? ` and output matching /${args.outputPattern}/` : ''}`,
            },
          ],
    run: (io, args) => (args.kind === 'http' ? http(deps, io, args) : command(deps, io, args)),
  });
  return { smokeTest };
}
