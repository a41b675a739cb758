/** pause, resume, cancel: an operator's hold on the whole incident. */
import type { Command } from 'commander';
import { z } from 'zod';
import { action, print, printJson } from '../command';

const json = z.boolean().optional();
/** Loaded when a command runs, not when the CLI starts. */
const incidents = () => import('../../client/incidents');

export function registerSteerCommands(program: Command): void {
  program
    .command('pause')
    .description('Hold an incident: the running step finishes, no new step starts until `resume` (signal `pause`)')
    .argument('<id>', 'incident id')
    .requiredOption('--by <name>', 'who pauses')
    .option('--reason <text>', 'why')
    .option('--json', 'print JSON')
    .action(
      action(z.object({ by: z.string().min(1), reason: z.string().optional(), json }), async (ctx, o, id: string) => {
        const client = await ctx.client();
        const { pauseIncident } = await incidents();
        await pauseIncident(client, id, { by: o.by, ...(o.reason ? { reason: o.reason } : {}) });
        if (ctx.json) return printJson({ id, paused: true, by: o.by });
        print(`paused ${id} as ${o.by}: no new step starts until \`tourniquet resume ${id} --by <name>\``);
      }),
    );

  program
    .command('resume')
    .description('Let a paused incident go on (signal `resume`)')
    .argument('<id>', 'incident id')
    .requiredOption('--by <name>', 'who resumes')
    .option('--comment <text>', 'why')
    .option('--json', 'print JSON')
    .action(
      action(z.object({ by: z.string().min(1), comment: z.string().optional(), json }), async (ctx, o, id: string) => {
        const client = await ctx.client();
        const { resumeIncident } = await incidents();
        await resumeIncident(client, id, { by: o.by, ...(o.comment ? { comment: o.comment } : {}) });
        if (ctx.json) return printJson({ id, paused: false, by: o.by });
        print(`resumed ${id} as ${o.by}`);
      }),
    );

  program
    .command('cancel')
    .description('Cancel an incident: it stops where it is and undoes each change made so far, newest first (rotations cannot be undone)')
    .argument('<id>', 'incident id')
    .option('--json', 'print JSON')
    .action(
      action(z.object({ json }), async (ctx, o, id: string) => {
        const client = await ctx.client();
        const { cancelIncident } = await incidents();
        await cancelIncident(client, id);
        if (ctx.json) return printJson({ id, cancelRequested: true });
        print(`cancellation of ${id} requested: its changes are being undone; follow with \`tourniquet watch ${id}\``);
      }),
    );
}
