/**
 * approve, deny, retry, skip, abort, control: the commands through which humans decide.
 * approve and deny go through the `decide` update, so a refusal comes back with its reason.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { CONTROL_KINDS, CONTROL_DESCRIPTIONS } from '../../contract/actions';
import { action, print, printJson } from '../command';

/** Loaded when a command runs, not when the CLI starts. */
const incidents = () => import('../../client/incidents');

export function registerDecisionCommands(program: Command): void {
  program
    .command('approve')
    .description('Approve a step that waits for approval')
    .argument('<id>', 'incident id')
    .argument('<step>', 'step id')
    .requiredOption('--by <name>', 'who approves')
    .option('--comment <text>', 'why')
    .option('--json', "print the update's answer as JSON")
    .action(
      action(z.object({ by: z.string().min(1), comment: z.string().optional() }), async (ctx, o, id: string, step: string) => {
        const client = await ctx.client();
        const { approve } = await incidents();
        const result = await approve(client, id, { step, by: o.by, ...(o.comment ? { comment: o.comment } : {}) });
        if (ctx.json) return printJson(result);
        print(
          `approved ${step} of ${id} as ${o.by}${result.decided ? ': the step goes on' : `: ${result.needed} more approval(s) needed (so far: ${result.approvedBy.join(', ')})`}`,
        );
      }),
    );

  program
    .command('deny')
    .description('Deny a step that waits for approval (the step decides: abort the incident or skip)')
    .argument('<id>', 'incident id')
    .argument('<step>', 'step id')
    .requiredOption('--by <name>', 'who denies')
    .requiredOption('--reason <text>', 'why')
    .option('--json', "print the update's answer as JSON")
    .action(
      action(z.object({ by: z.string().min(1), reason: z.string().min(1) }), async (ctx, o, id: string, step: string) => {
        const client = await ctx.client();
        const { deny } = await incidents();
        const result = await deny(client, id, { step, by: o.by, reason: o.reason });
        if (ctx.json) return printJson(result);
        print(`denied ${step} of ${id} as ${o.by}`);
      }),
    );

  for (const decision of ['retry', 'skip', 'abort'] as const) {
    program
      .command(decision)
      .description(`Answer a failed step that asks the operator (onFailure: ask): ${decision} it`)
      .argument('<id>', 'incident id')
      .argument('<step>', 'the failed step')
      .requiredOption('--by <name>', 'who decides')
      .option('--comment <text>', 'why')
      .option('--json', 'print JSON')
      .action(
        action(z.object({ by: z.string().min(1), comment: z.string().optional() }), async (ctx, o, id: string, step: string) => {
          const client = await ctx.client();
          const { answerOperator } = await incidents();
          await answerOperator(client, id, { step, by: o.by, decision, ...(o.comment ? { comment: o.comment } : {}) });
          if (ctx.json) return printJson({ id, step, decision, by: o.by });
          print(`${decision}: ${step} of ${id}, as ${o.by}`);
        }),
      );
  }

  program
    .command('control')
    .description(`Record a durable control on an incident (it cannot close without one). Kinds: ${CONTROL_KINDS.join(', ')}`)
    .argument('<id>', 'incident id')
    .requiredOption('--kind <kind>', CONTROL_KINDS.map((k) => `${k}: ${CONTROL_DESCRIPTIONS[k]}`).join('; '))
    .requiredOption('--note <text>', 'what now prevents a repeat')
    .requiredOption('--by <name>', 'who records it')
    .option('--json', 'print JSON')
    .action(
      action(
        z.object({
          kind: z.enum(CONTROL_KINDS, { error: `--kind must be one of: ${CONTROL_KINDS.join(', ')} (a prompt change is never a control)` }),
          note: z.string().min(1),
          by: z.string().min(1),
        }),
        async (ctx, o, id: string) => {
          const client = await ctx.client();
          const { recordControl } = await incidents();
          await recordControl(client, id, { kind: o.kind, note: o.note, by: o.by });
          if (ctx.json) return printJson({ id, kind: o.kind, note: o.note, by: o.by });
          print(`control ${o.kind} recorded on ${id}`);
        },
      ),
    );
}
