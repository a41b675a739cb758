/** start, status, approve, deny, list: the incident commands. */
import type { Command } from 'commander';
import { z } from 'zod';
import { loadConfig } from '../../common/config';
import { CliError } from '../../common/errors';
import { approve, deny, getProgress, startIncident } from '../../common/incidents';
import { connectClient } from '../../common/temporal';
import { INCIDENT_CLASSES, WORKFLOW_TYPE, type IncidentProgress } from '../../workflows/contract';
import { INCIDENT_CLASS_KEY, INCIDENT_PHASE_KEY, INCIDENT_SEVERITY_KEY } from '../../workflows/search-attributes';
import { action, print, printJson } from '../command';
import { renderProgress, renderTimeline } from '../format';
import { loadDataFile } from '../load';

const client = () => connectClient(loadConfig());

export function registerIncidentCommands(program: Command): void {
  program
    .command('start')
    .description('Start an incident from a JSON/YAML file and/or flags; prints its id')
    .option('-f, --file <path>', 'incident file (JSON or YAML) with class, severity, title, targets, steps')
    .option('--class <class>', `incident class: ${INCIDENT_CLASSES.join(', ')}`)
    .option('--severity <severity>', 'S1, S2 or S3')
    .option('--title <title>', 'one line saying what happened')
    .option('--target <name...>', 'affected targets (services, credentials, paths)')
    .option('--step <json...>', 'a step as JSON, e.g. \'{"id":"stop","action":"stopService","args":{...}}\'')
    .option('--id <id>', 'workflow id to use instead of a generated one')
    .option('--wait', 'wait for the incident to end and print its progress')
    .option('--json', 'print JSON')
    .action(
      action(
        z.object({
          file: z.string().optional(),
          class: z.string().optional(),
          severity: z.string().optional(),
          title: z.string().optional(),
          target: z.array(z.string()).optional(),
          step: z.array(z.string()).optional(),
          id: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, 'letters, digits, . _ - only').optional(),
          wait: z.boolean().optional(),
          json: z.boolean().optional(),
        }),
        async (o) => {
          const base = (o.file ? loadDataFile(o.file) : {}) as Record<string, unknown>;
          if (typeof base !== 'object' || base === null || Array.isArray(base)) throw new CliError('InvalidInput', `${o.file}: must hold one object`);
          const draft = {
            ...base,
            ...(o.class ? { class: o.class } : {}),
            ...(o.severity ? { severity: o.severity } : {}),
            ...(o.title ? { title: o.title } : {}),
            ...(o.target ? { targets: o.target } : {}),
            ...(o.step ? { steps: [...((base.steps as unknown[]) ?? []), ...o.step.map(parseStepFlag)] } : {}),
          };
          const config = loadConfig();
          const c = await connectClient(config);
          const { id, handle } = await startIncident(c, draft, { taskQueue: config.taskQueue, ...(o.id ? { id: o.id } : {}) });
          if (!o.wait) return o.json ? printJson({ id }) : print(id);
          await handle.result().catch(() => undefined);
          const progress = await getProgress(c, id);
          if (o.json) printJson(progress);
          else print(renderProgress(progress));
          if (progress.state !== 'resolved') process.exitCode = 1;
        },
      ),
    );

  program
    .command('status')
    .description('Show an incident: steps with status, attempts, times, approvals waiting')
    .argument('<id>', 'incident id')
    .option('--json', 'print the `progress` query result as JSON')
    .option('--timeline', 'also print the timeline')
    .action(
      action(z.object({ json: z.boolean().optional(), timeline: z.boolean().optional() }), async (o, id: string) => {
        const progress = await getProgress(await client(), id);
        if (o.json) return printJson(progress);
        print(renderProgress(progress));
        if (o.timeline) print(`\n${renderTimeline(progress)}`);
      }),
    );

  program
    .command('approve')
    .description('Approve a step that waits for approval')
    .argument('<id>', 'incident id')
    .argument('<step>', 'step id')
    .requiredOption('--by <name>', 'who approves')
    .option('--comment <text>', 'why')
    .action(
      action(z.object({ by: z.string().min(1), comment: z.string().optional() }), async (o, id: string, step: string) => {
        await approve(await client(), id, { step, by: o.by, ...(o.comment ? { comment: o.comment } : {}) });
        print(`approved ${step} of ${id} as ${o.by}`);
      }),
    );

  program
    .command('deny')
    .description('Deny a step that waits for approval (the step decides: abort the incident or skip)')
    .argument('<id>', 'incident id')
    .argument('<step>', 'step id')
    .requiredOption('--by <name>', 'who denies')
    .requiredOption('--reason <text>', 'why')
    .action(
      action(z.object({ by: z.string().min(1), reason: z.string().min(1) }), async (o, id: string, step: string) => {
        await deny(await client(), id, { step, by: o.by, reason: o.reason });
        print(`denied ${step} of ${id} as ${o.by}`);
      }),
    );

  program
    .command('list')
    .description('List incidents, newest first')
    .option('--open', 'only incidents still running')
    .option('--class <class>', 'only this incident class')
    .option('--severity <severity>', 'only this severity')
    .option('--limit <n>', 'at most this many', '20')
    .option('--json', 'print JSON')
    .action(
      action(
        z.object({
          open: z.boolean().optional(),
          class: z.enum(INCIDENT_CLASSES).optional(),
          severity: z.enum(['S1', 'S2', 'S3']).optional(),
          limit: z.coerce.number().int().min(1).max(1000),
          json: z.boolean().optional(),
        }),
        async (o) => {
          const c = await client();
          const clauses = [`WorkflowType = '${WORKFLOW_TYPE}'`];
          if (o.open) clauses.push(`ExecutionStatus = 'Running'`);
          if (o.class) clauses.push(`IncidentClass = '${o.class}'`);
          if (o.severity) clauses.push(`IncidentSeverity = '${o.severity}'`);
          const rows: { id: string; status: string; class?: string; severity?: string; phase?: string; started: string }[] = [];
          for await (const wf of c.workflow.list({ query: clauses.join(' AND '), pageSize: o.limit })) {
            const sa = wf.typedSearchAttributes;
            rows.push({
              id: wf.workflowId,
              status: wf.status.name,
              ...optional('class', sa.get(INCIDENT_CLASS_KEY)),
              ...optional('severity', sa.get(INCIDENT_SEVERITY_KEY)),
              ...optional('phase', sa.get(INCIDENT_PHASE_KEY)),
              started: wf.startTime.toISOString(),
            });
            if (rows.length >= o.limit) break;
          }
          if (o.json) return printJson(rows);
          if (!rows.length) return print('no incidents');
          for (const r of rows) print([r.id.padEnd(44), r.status.padEnd(11), (r.severity ?? '').padEnd(3), (r.phase ?? '').padEnd(9), r.started.slice(0, 19)].join(' '));
        },
      ),
    );
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

function parseStepFlag(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError('InvalidInput', `--step must be a JSON object: ${(err as Error).message}`);
  }
}

export type { IncidentProgress };
