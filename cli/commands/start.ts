/** start: an incident from a playbook (the usual way) or from a raw incident file. */
import type { Command } from 'commander';
import { z } from 'zod';
import type { Client } from '@temporalio/client';
import { incidentUrl } from '../../common/config';
import { Problem } from '../../common/errors';
import { INCIDENT_CLASSES } from '../../contract/grammar';
import { action, print, printJson, type CommandContext } from '../command';
import { currentUser } from '../options';
import { renderDrill, startPlaybook } from './playbook';

/** Loaded when a command runs, not when the CLI starts. */
const incidents = () => import('../../client/incidents');

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('Start an incident from a playbook (with the inventory and --param values), or from a raw incident file (-f); prints its id')
    .argument('[playbook]', 'playbook name (see `tourniquet playbook list`) or playbook file')
    .option('-i, --inventory <file>', 'inventory (default: $TOURNIQUET_INVENTORY or ./tourniquet.yaml)')
    .option('--param <key=value...>', 'playbook parameter values (a list parameter: key=a,b)')
    .option('--severity <severity>', 'S1, S2, S3 (or Critical, High, Medium, Low)')
    .option('--title <title>', 'one line saying what happened')
    .option('--dry-run', 'run as a drill: every step in plan mode, nothing changes')
    .option('-f, --file <path>', 'raw incident file (JSON or YAML: class, severity, title, targets, steps); not rule-checked')
    .option('--class <class>', `with -f: incident class: ${INCIDENT_CLASSES.join(', ')}`)
    .option('--target <name...>', 'with -f: affected targets')
    .option('--step <json...>', 'with -f: extra steps as JSON')
    .option('--id <id>', 'workflow id to use instead of a generated one')
    .option('--by <name>', 'who starts the incident (default: the OS user); in S1 incidents the requester may not approve by default')
    .option(
      '--wait',
      'print the id and Web UI link, then follow the incident like `watch` until it ends (exit 0 resolved, 1 otherwise; with --json, one JSON object per line)',
    )
    .option('--json', 'print JSON')
    .action(
      action(
        z.object({
          inventory: z.string().optional(),
          param: z.array(z.string()).optional(),
          severity: z.string().optional(),
          title: z.string().optional(),
          dryRun: z.boolean().optional(),
          file: z.string().optional(),
          class: z.string().optional(),
          target: z.array(z.string()).optional(),
          step: z.array(z.string()).optional(),
          id: z
            .string()
            .regex(/^[A-Za-z0-9._-]{1,200}$/, 'letters, digits, . _ - only')
            .optional(),
          by: z.string().min(1).max(200).optional(),
          wait: z.boolean().optional(),
        }),
        async (ctx, o, playbook?: string) => {
          if (playbook && o.file) throw new Problem('InvalidInput', 'give a playbook or -f <incident file>, not both');
          if (!playbook && !o.file && !o.step) throw new Problem('InvalidInput', 'name a playbook (`tourniquet playbook list`) or give -f <incident file>');
          const by = o.by ?? currentUser();
          const started = playbook ? await startPlaybook(ctx, playbook, { ...o, by, mode: o.dryRun ? 'drill' : 'live' }) : await startRaw(ctx, { ...o, by });
          const { client, id } = started;
          const drill = started.input.mode === 'drill';
          const url = incidentUrl(ctx.config().server, id);
          if (!o.wait && !o.dryRun) {
            if (ctx.json) return printJson({ id, mode: started.input.mode, ...(url ? { url } : {}) });
            // stdout stays the bare id for scripts (`id=$(tourniquet start ...)`); people read stderr too.
            print(id);
            if (drill || url) process.stderr.write(`${drill ? 'DRILL: nothing changes. ' : ''}${url ? `Web UI: ${url}` : ''}\n`);
            return;
          }
          await follow(ctx, client, id, drill, url);
        },
      ),
    );
}

/**
 * `--wait` and drills: the id and the link first, so the operator can open the incident while
 * it runs; then its progress as `watch` shows it; then the drill's findings or the end state.
 */
async function follow(ctx: CommandContext, client: Client, id: string, drill: boolean, url: string | undefined): Promise<void> {
  const { watchIncident } = await import('../watch');
  const line = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
  if (ctx.json) line({ incident: id, mode: drill ? 'drill' : 'live', ...(url ? { url } : {}) });
  else print(`${drill ? 'DRILL ' : ''}incident ${id} started${drill ? ': nothing changes' : ''}${url ? `\nWeb UI: ${url}` : ''}`);
  const live = Boolean(process.stdout.isTTY) && !ctx.json;
  const progress = await watchIncident(client, id, { out: process.stdout, live, json: ctx.json });
  if (ctx.json) line({ incident: id, progress });
  else if (drill) print(`\n${renderDrill(progress)}`);
  else if (!live) print(`${id} ended: ${progress.state}`);
  if (progress.state !== 'resolved') process.exitCode = 1;
}

async function startRaw(
  ctx: CommandContext,
  o: {
    file?: string | undefined;
    class?: string | undefined;
    severity?: string | undefined;
    title?: string | undefined;
    target?: string[] | undefined;
    step?: string[] | undefined;
    id?: string | undefined;
    dryRun?: boolean | undefined;
    by: string;
  },
) {
  const [{ parseIncident, startIncident }, { loadDataFile }] = await Promise.all([incidents(), import('../../common/data-file')]);
  const base = (o.file ? loadDataFile(o.file) : {}) as Record<string, unknown>;
  if (typeof base !== 'object' || base === null || Array.isArray(base)) throw new Problem('InvalidInput', `${o.file}: must hold one object`);
  const draft = {
    ...base,
    ...(o.class ? { class: o.class } : {}),
    ...(o.severity ? { severity: o.severity } : {}),
    ...(o.title ? { title: o.title } : {}),
    ...(o.target ? { targets: o.target } : {}),
    ...(o.dryRun ? { mode: 'drill' } : {}),
    ...(base.requestedBy === undefined ? { requestedBy: o.by } : {}),
    ...(o.step ? { steps: [...((base.steps as unknown[]) ?? []), ...o.step.map(parseStepFlag)] } : {}),
  };
  const config = ctx.config();
  const client = await ctx.client();
  return { client, ...(await startIncident(client, parseIncident(draft), { taskQueue: config.taskQueue, ...(o.id ? { id: o.id } : {}) })) };
}

function parseStepFlag(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Problem('InvalidInput', `--step must be a JSON object: ${(err as Error).message}`);
  }
}
