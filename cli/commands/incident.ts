/** status and list: reading incidents. */
import type { Command } from 'commander';
import { z } from 'zod';
import { loadConfig } from '../../common/config';
import { getProgress } from '../../common/incidents';
import { connectClient } from '../../common/temporal';
import { INCIDENT_CLASSES, WORKFLOW_TYPE } from '../../workflows/contract';
import { INCIDENT_CLASS_KEY, INCIDENT_PHASE_KEY, INCIDENT_SEVERITY_KEY } from '../../workflows/search-attributes';
import { action, print, printJson } from '../command';
import { renderProgress, renderTimeline } from '../format';

const client = () => connectClient(loadConfig());

export function registerIncidentCommands(program: Command): void {
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

