/** start: an incident from a playbook (the usual way) or from a raw incident file. */
import type { Command } from 'commander';
import { z } from 'zod';
import { Problem } from '../../common/errors';
import { INCIDENT_CLASSES } from '../../contract/input';
import { action, print, printJson, type CommandContext } from '../command';
import { renderProgress } from '../format';
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
    .option('--wait', 'wait for the incident to end and print its progress')
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
          const { client, id, handle } = started;
          if (!o.wait && !o.dryRun) return ctx.json ? printJson({ id }) : print(id);
          await handle.result().catch(() => undefined);
          const { getProgress } = await incidents();
          const progress = await getProgress(client, id);
          if (ctx.json) printJson(progress);
          else print(progress.mode === 'drill' ? renderDrill(progress) : renderProgress(progress));
          if (progress.state !== 'resolved') process.exitCode = 1;
        },
      ),
    );
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
