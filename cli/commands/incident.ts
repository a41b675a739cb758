/** status, list, watch, report, close: reading incidents. */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { incidentUrl } from '../../common/config';
import { PROBLEM_KINDS } from '../../common/errors';
import { PHASES } from '../../contract/catalogue';
import { SEVERITIES } from '../../contract/grammar';
import { INCIDENT_CLASSES } from '../../contract/grammar';
import { action, print, printJson, type CommandContext } from '../command';
import { PROGRESS_QUERY } from '../../contract/names';
import type { IncidentProgress } from '../../contract/progress';
import { renderClock } from '../clock';
import { renderProgress, renderTimeline } from '../format';

/** Loaded when a command runs, not when the CLI starts. */
const incidents = () => import('../../client/incidents');
const reports = () => import('../../client/report');

export function registerIncidentCommands(program: Command): void {
  program
    .command('status')
    .description('Show an incident: steps with status, attempts, times, approvals waiting')
    .argument('<id>', 'incident id')
    .option('--json', 'print the `progress` query result as JSON')
    .option('--timeline', 'also print the timeline')
    .action(
      action(z.object({ timeline: z.boolean().optional() }), async (ctx, o, id: string) => {
        const progress = await readProgress(ctx, id);
        if (ctx.json) return printJson(progress);
        print(renderProgress(progress));
        print(`\n${renderClock(progress)}`);
        const url = incidentUrl(ctx.config().server, id);
        if (url) print(`\nWeb UI: ${url}`);
        if (o.timeline) print(`\n${renderTimeline(progress)}`);
      }),
    );

  program
    .command('list')
    .description('List incidents, newest first')
    .option('--open', 'only incidents still running')
    .option('--class <class>', 'only this incident class')
    .option('--severity <severity>', 'only this severity')
    .option('--phase <phase>', `only incidents in this phase: ${[...PHASES, 'closed'].join(', ')}`)
    .option('--limit <n>', 'at most this many', '20')
    .option('--json', 'print JSON')
    .action(
      action(
        z.object({
          open: z.boolean().optional(),
          class: z.enum(INCIDENT_CLASSES).optional(),
          severity: z.enum(SEVERITIES).optional(),
          phase: z.enum([...PHASES, 'closed']).optional(),
          limit: z.coerce.number().int().min(1).max(1000),
        }),
        async (ctx, o) => {
          const { listIncidents, listQuery, incidentRow } = await import('../../client/listing');
          const lean = await ctx.lean();
          const seen = await lean?.list(listQuery(o), o.limit);
          const rows = seen ? seen.map(incidentRow) : await listIncidents(await ctx.client(), o, o.limit);
          if (ctx.json) return printJson(rows);
          if (!rows.length) return print('no incidents');
          const line = (cells: string[]) =>
            [cells[0]!.padEnd(44), cells[1]!.padEnd(17), cells[2]!.padEnd(8), cells[3]!.padEnd(9), cells[4]!.padEnd(19), cells[5]].join(' ').trimEnd();
          print(line(['id', 'state', 'severity', 'phase', 'started (UTC)', 'title']));
          for (const r of rows)
            print(line([r.id, r.state, r.severity ?? '', r.phase ?? '', r.started.slice(0, 19), `${r.mode === 'drill' ? 'DRILL ' : ''}${r.title ?? ''}`]));
        },
      ),
    );
}

export function registerFollowCommands(program: Command): void {
  program
    .command('watch')
    .description('Follow an incident live until it ends (exit 0 resolved, 1 otherwise); plain lines when stdout is not a terminal')
    .argument('<id>', 'incident id')
    .option('--json', 'one JSON object per new timeline event')
    .option('--interval <ms>', 'how often to ask the incident', '1000')
    .action(
      action(z.object({ interval: z.coerce.number().int().min(100).max(60_000) }), async (ctx, o, id: string) => {
        const { watchIncident } = await import('../watch');
        const live = Boolean(process.stdout.isTTY) && !ctx.json;
        const progress = await watchIncident(await ctx.client(), id, { out: process.stdout, live, json: Boolean(ctx.json), pollMs: o.interval });
        if (!live && !ctx.json) print(`${id}${progress.mode === 'drill' ? ' (drill)' : ''} ended: ${progress.state}`);
        process.exitCode = progress.state === 'resolved' ? 0 : 1;
      }),
    );

  program
    .command('report')
    .description('Write the sanitized incident note (markdown) from the incident and its workflow history')
    .argument('<id>', 'incident id')
    .option('--out <file>', 'write it to this file (mode 0600) instead of stdout')
    .option('--json', 'print JSON: {id, state, markdown, out}')
    .action(
      action(z.object({ out: z.string().min(1).optional() }), async (ctx, o, id: string) => {
        const client = await ctx.client();
        const { incidentReport } = await reports();
        const { progress, markdown } = await incidentReport(client, id);
        if (o.out) writeFileSync(o.out, markdown, { mode: 0o600 });
        if (ctx.json) return printJson({ id, state: progress.state, ...(o.out ? { out: o.out } : { markdown }) });
        if (o.out) print(`incident note of ${id} written to ${o.out}`);
        else process.stdout.write(markdown);
      }),
    );

  program
    .command('close')
    .description(
      'Close an incident: checks the ordering rules allow it (resolved, a durable control recorded, the note written); otherwise says what is missing (exit 9)',
    )
    .argument('<id>', 'incident id')
    .option('--json', 'print JSON: {id, closed, state, missing, controls, note}')
    .action(
      action(z.object({}), async (ctx, o, id: string) => {
        const { checkClosure, closeIncident } = await reports();
        if (ctx.json) {
          const closure = await checkClosure(await ctx.client(), id);
          printJson(closure);
          if (!closure.closed) process.exitCode = PROBLEM_KINDS.Refused;
          return;
        }
        const closure = await closeIncident(await ctx.client(), id);
        print(`incident ${id} is closed: ${closure.controls.join('; ')}${closure.note ? `; note: ${closure.note}` : ''}`);
      }),
    );
}

/** The incident's progress: through the lean client when it can answer, else the SDK's. */
async function readProgress(ctx: CommandContext, id: string): Promise<IncidentProgress> {
  const answer = await (await ctx.lean())?.query(id, PROGRESS_QUERY);
  if (answer) return answer.value as IncidentProgress;
  const { getProgress } = await incidents();
  return getProgress(await ctx.client(), id);
}
