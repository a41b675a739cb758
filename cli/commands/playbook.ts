/** playbook list | show | validate, and drill: working with playbooks. */
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { Problem } from '../../common/errors';
import type { IncidentProgress } from '../../contract';
import { action, print, printJson, type CommandContext } from '../command';
import { renderProgress, renderTimeline } from '../format';
import { currentUser, parseParams } from '../options';

/** Loaded when a command runs, not when the CLI starts. */
const compiler = () => import('../../compiler');
const incidents = () => import('../../client/incidents');

export function registerPlaybookCommands(program: Command): void {
  const playbook = program.command('playbook').description('List, show and validate playbooks');

  playbook
    .command('list')
    .description('Name, class, default severity and a line of description of every playbook')
    .option('--json', 'print JSON')
    .action(
      action(z.object({}), async (ctx, _o) => {
        const { checkPlaybook, listPlaybooks, YamlSource } = await compiler();
        const rows = listPlaybooks(ctx.config().playbooksDir).map((p) => {
          const result = checkPlaybook(YamlSource.read(p.file));
          const pb = result.playbook;
          return {
            name: p.name,
            class: pb?.class ?? '?',
            severity: pb?.severity ?? '?',
            description: pb?.description.split('\n')[0] ?? 'INVALID: run `tourniquet playbook validate`',
            builtin: p.builtin,
            file: p.file,
          };
        });
        if (ctx.json) return printJson(rows);
        // Columns as wide as their longest value: the OpenClaw playbooks' names are long.
        const nameWidth = Math.max(4, ...rows.map((r) => r.name.length));
        const classWidth = Math.max(5, ...rows.map((r) => r.class.length));
        print(`${'name'.padEnd(nameWidth)}  ${'class'.padEnd(classWidth)}  ${'severity'.padEnd(8)}  description`);
        for (const r of rows) print(`${r.name.padEnd(nameWidth)}  ${r.class.padEnd(classWidth)}  ${r.severity.padEnd(8)}  ${r.description}`);
      }),
    );

  playbook
    .command('show')
    .description('Print a playbook')
    .argument('<name>', 'playbook name or file')
    .option('--json', 'print the parsed playbook as JSON')
    .action(
      action(z.object({}), async (ctx, o, name: string) => {
        const { checkPlaybook, findPlaybook, YamlSource } = await compiler();
        const file = findPlaybook(name, ctx.config().playbooksDir);
        if (ctx.json) {
          const result = checkPlaybook(YamlSource.read(file));
          return printJson({ file, playbook: result.playbook ?? null, problems: result.problems });
        }
        print(readFileSync(file, 'utf8').trimEnd());
      }),
    );

  playbook
    .command('validate')
    .description('Check playbook files: schema, actions, inventory names, parameter types, ordering rules. Exits non-zero on any error.')
    .argument('<files...>', 'playbook files')
    .option('-i, --inventory <file>', 'also resolve against this inventory (default: tourniquet.yaml when present)')
    .option('--param <key=value...>', 'parameter values to resolve with (a list parameter: key=a,b)')
    .option('--json', 'print JSON: [{file, ok, problems}]')
    .action(
      action(z.object({ inventory: z.string().optional(), param: z.array(z.string()).optional() }), async (ctx, o, files: string[]) => {
        const { checkPlaybook, formatProblems, loadInventory, YamlSource } = await compiler();
        const config = ctx.config();
        const inventoryFile = o.inventory ?? (existsSync(config.inventoryFile) ? config.inventoryFile : undefined);
        const inventory = inventoryFile ? loadInventory(inventoryFile) : undefined;
        let bad = 0;
        const rows: { file: string; ok: boolean; problems: unknown[] }[] = [];
        for (const file of files) {
          const source = YamlSource.read(file);
          // Names are checked against the inventory; without --param values placeholders stay symbolic.
          const result = checkPlaybook(source, { ...(inventory ? { inventory } : {}), params: parseParams(o.param), home: config.home, symbolic: !o.param });
          rows.push({ file, ok: !result.problems.length, problems: result.problems });
          if (result.problems.length) bad++;
          if (ctx.json) continue;
          if (result.problems.length) print(formatProblems(file, result.problems));
          else print(`${file}: ok${inventory ? ` (names checked against ${inventoryFile}${o.param ? ', parameters resolved' : ''})` : ''}`);
        }
        if (ctx.json) printJson(rows);
        if (bad) throw new Problem('InvalidInput', `${bad} of ${files.length} playbook(s) have errors`);
      }),
    );

  program
    .command('drill')
    .description('Tabletop drill: run a playbook with every step in plan mode; nothing changes; prints what each step would do')
    .argument('<playbook>', 'playbook name or file')
    .option('-i, --inventory <file>', 'inventory (default: $TOURNIQUET_INVENTORY or ./tourniquet.yaml)')
    .option('--param <key=value...>', 'parameter values (a list parameter: key=a,b)')
    .option('--severity <s>', 'S1, S2, S3 (or Critical, High, Medium, Low)')
    .option('--by <name>', 'who runs the drill (default: the OS user)')
    .option('--json', 'print the progress as JSON')
    .action(
      action(
        z.object({
          inventory: z.string().optional(),
          param: z.array(z.string()).optional(),
          severity: z.string().optional(),
          by: z.string().optional(),
        }),
        async (ctx, o, name: string) => {
          const progress = await runPlaybook(ctx, name, { ...o, by: o.by ?? currentUser(), mode: 'drill' });
          if (ctx.json) return printJson(progress);
          print(renderDrill(progress));
          if (progress.state !== 'resolved') process.exitCode = 1;
        },
      ),
    );
}

export interface RunOptions {
  inventory?: string | undefined;
  param?: string[] | undefined;
  severity?: string | undefined;
  title?: string | undefined;
  id?: string | undefined;
  /** Who starts it (the requester). */
  by?: string | undefined;
  mode: 'live' | 'drill';
}

/** Compile a playbook and start it; a drill waits for its end and returns the final progress. */
export async function startPlaybook(ctx: CommandContext, name: string, o: RunOptions) {
  const [{ compileNamedPlaybook, loadInventory }, { startIncident }] = await Promise.all([compiler(), incidents()]);
  const config = ctx.config();
  const input = compileNamedPlaybook(name, {
    playbooksDir: config.playbooksDir,
    inventory: loadInventory(o.inventory ?? config.inventoryFile),
    params: parseParams(o.param),
    ...(o.severity ? { severity: o.severity } : {}),
    ...(o.title ? { title: o.title } : {}),
    mode: o.mode,
    home: config.home,
    ...(o.by ? { requestedBy: o.by } : {}),
  });
  const client = await ctx.client();
  const started = await startIncident(client, input, { taskQueue: config.taskQueue, ...(o.id ? { id: o.id } : {}) });
  return { client, ...started };
}

async function runPlaybook(ctx: CommandContext, name: string, o: RunOptions) {
  const { client, id, handle } = await startPlaybook(ctx, name, o);
  await handle.result().catch(() => undefined);
  return (await incidents()).getProgress(client, id);
}

export function renderDrill(p: IncidentProgress): string {
  const lines = [`DRILL of ${p.playbook ?? 'incident'} (${p.incidentId}): nothing was changed`, ''];
  for (const s of p.steps) {
    lines.push(`${s.status === 'failed' ? '✘' : '✔'} [${s.phase}] ${s.id} (${s.action})${s.needsApproval ? ' — needs approval' : ''}`);
    lines.push(`    ${s.error ? `WOULD FAIL: ${s.error}` : (s.summary ?? '')}`);
  }
  lines.push(
    '',
    p.state === 'resolved'
      ? 'Drill passed: every step could run.'
      : `Drill found problems: ${p.steps.filter((s) => s.status === 'failed').length} step(s) would fail.`,
  );
  return `${lines.join('\n')}\n\n${renderProgress(p)}\n\n${renderTimeline(p)}`;
}
