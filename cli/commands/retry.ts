/** retry: answer a failed step that asks the operator, or continue a failed incident from a step. */
import type { Command } from 'commander';
import { z } from 'zod';
import { Problem } from '../../common/errors';
import { action, print, printJson } from '../command';

/**
 * `tourniquet retry <id> <step> --by <name>`: answer a failed step that waits for an operator
 * (`onFailure: ask`) with "retry".
 *
 * `tourniquet retry <id> --from <step> --by <name>`: continue a failed or aborted incident from
 * the step (a Temporal reset to where the step began, see client/retry.ts). Earlier steps keep
 * their results and do not run again; the step and every later one run again, and each approval
 * gate among them asks again. Refused for a cancelled incident and for a step past the failure.
 */
export function registerRetryCommand(program: Command): void {
  program
    .command('retry')
    .description('Retry a failed step that asks the operator (onFailure: ask), or with --from continue a failed or aborted incident from a step')
    .argument('<id>', 'incident id')
    .argument('[step]', 'the failed step waiting for an operator')
    .requiredOption('--by <name>', 'who decides')
    .option('--from <step>', 'continue the ended incident from this step: the one that failed, or an earlier one; approval gates from there on ask again')
    .option('--comment <text>', 'why')
    .option('--json', 'print JSON')
    .action(
      action(
        z.object({ by: z.string().min(1), from: z.string().min(1).optional(), comment: z.string().optional() }),
        async (ctx, o, id: string, step: string | undefined) => {
          const client = await ctx.client();
          if (o.from) {
            if (step) throw new Problem('InvalidInput', `give either a step waiting for an operator or --from, not both`);
            const { retryIncident } = await import('../../client/retry');
            const retried = await retryIncident(client, id, o.from, o.by);
            if (ctx.json) return printJson(retried);
            return print(`${id} continues from ${o.from} (run ${retried.runId}); runs again: ${retried.rerun.join(', ')}. Gated steps ask for approval again.`);
          }
          if (!step) throw new Problem('InvalidInput', 'name the failed step waiting for an operator, or continue an ended incident with --from <step>');
          const { answerOperator } = await import('../../client/incidents');
          await answerOperator(client, id, { step, by: o.by, decision: 'retry', ...(o.comment ? { comment: o.comment } : {}) });
          if (ctx.json) return printJson({ id, step, decision: 'retry', by: o.by });
          print(`retry: ${step} of ${id}, as ${o.by}`);
        },
      ),
    );
}
