/**
 * approve, deny, retry, skip, abort, control: the commands through which humans decide.
 * approve and deny go through the `decide` update, so a refusal comes back with its reason.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import type { Client } from '@temporalio/client';
import { CONTROL_KINDS } from '../../contract/catalogue';
import { CONTROL_DESCRIPTIONS } from '../../contract/actions';
import { action, print, printJson } from '../command';

/** Loaded when a command runs, not when the CLI starts (`--version` and `list` never need them). */
const incidents = () => import('../../client/incidents');
const identity = () => import('../../client/identity');

export function registerDecisionCommands(program: Command): void {
  const proofOptions = { code: z.string().min(1).optional(), sshKey: z.string().min(1).optional() };
  program
    .command('approve')
    .description('Approve a step that waits for approval (with a proof of who you are when the step needs one)')
    .argument('<id>', 'incident id')
    .argument('<step>', 'step id')
    .requiredOption('--by <name>', 'who approves')
    .option('--comment <text>', 'why')
    .option('--code <digits>', 'your current authenticator code (asked for on a terminal when the step needs one)')
    .option('--ssh-key <file>', 'sign the decision with this SSH key (ssh-keygen -Y sign; a key in ssh-agent works)')
    .option('--json', "print the update's answer as JSON")
    .action(
      action(z.object({ by: z.string().min(1), comment: z.string().optional(), ...proofOptions }), async (ctx, o, id: string, step: string) => {
        const client = await ctx.client();
        const proof = await proofFor(client, { id, step, decision: 'approve', by: o.by, code: o.code, sshKey: o.sshKey });
        const { approve, getProgress } = await incidents();
        const result = await approve(client, id, { step, by: o.by, ...(o.comment ? { comment: o.comment } : {}), ...proof });
        if (ctx.json) return printJson(result);
        if (!result.decided)
          return print(`approved ${step} of ${id} as ${o.by}: ${result.needed} more approval(s) needed (so far: ${result.approvedBy.join(', ')})`);
        // A paused incident takes decisions but starts no step: saying "goes on" would be untrue.
        const { paused } = await getProgress(client, id);
        print(
          `approved ${step} of ${id} as ${o.by}: ${
            paused
              ? `the step goes on once the incident is resumed (paused by ${paused.by}${paused.reason ? `: ${paused.reason}` : ''}; \`tourniquet resume ${id} --by <name>\`)`
              : 'the step goes on'
          }`,
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
    .option('--code <digits>', 'your current authenticator code (asked for on a terminal when the step needs one)')
    .option('--ssh-key <file>', 'sign the decision with this SSH key')
    .option('--json', "print the update's answer as JSON")
    .action(
      action(z.object({ by: z.string().min(1), reason: z.string().min(1), ...proofOptions }), async (ctx, o, id: string, step: string) => {
        const client = await ctx.client();
        const proof = await proofFor(client, { id, step, decision: 'deny', by: o.by, code: o.code, sshKey: o.sshKey });
        const { deny } = await incidents();
        const result = await deny(client, id, { step, by: o.by, reason: o.reason, ...proof });
        if (ctx.json) return printJson(result);
        print(`denied ${step} of ${id} as ${o.by}`);
      }),
    );

  // `retry` answers the operator too, and continues a failed incident with --from: retry.ts.
  for (const decision of ['skip', 'abort'] as const) {
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
          const { answerOperator } = await incidents();
          await answerOperator(await ctx.client(), id, { step, by: o.by, decision, ...(o.comment ? { comment: o.comment } : {}) });
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
          const { recordControl } = await incidents();
          await recordControl(await ctx.client(), id, { kind: o.kind, note: o.note, by: o.by });
          if (ctx.json) return printJson({ id, kind: o.kind, note: o.note, by: o.by });
          print(`control ${o.kind} recorded on ${id}`);
        },
      ),
    );
}

/**
 * The proof a decision carries: the given code, a signature with the given key, or (when the
 * step needs one and a person is at a terminal) the code they type. Otherwise none: the
 * workflow answers whether the step needed one.
 */
async function proofFor(
  client: Client,
  d: { id: string; step: string; decision: 'approve' | 'deny'; by: string; code: string | undefined; sshKey: string | undefined },
): Promise<{ code?: string; signature?: string; signedAt?: string }> {
  if (d.code !== undefined) return { code: d.code };
  if (d.sshKey !== undefined) return (await identity()).signDecision(d.sshKey, { incidentId: d.id, step: d.step, decision: d.decision, by: d.by });
  if (!process.stdin.isTTY) return {};
  const progress = await (await incidents()).getProgress(client, d.id);
  if (progress.steps.find((s) => s.id === d.step)?.identity !== 'proven') return {};
  return { code: await (await identity()).askCode(d.by) };
}
