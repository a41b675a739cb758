/**
 * `tourniquet watch`: follow an incident until it ends. On a terminal, one frame redrawn in
 * place (plain ANSI: move up, clear down): the steps with a spinner on the running one, what
 * each wait waits on, the elapsed time. Elsewhere (a pipe, a log, CI), one line per new
 * timeline event, or one JSON object per line with `--json`.
 */
import type { Client } from '@temporalio/client';
import { getProgress } from '../client/incidents';
import { FINAL_STATES, type IncidentProgress, type TimelineEvent } from '../contract';
import { lane, STATUS_MARK } from '../workflows/details';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function elapsed(fromIso: string, to: number): string {
  const s = Math.max(0, Math.floor((to - Date.parse(fromIso)) / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** One frame of the live view. `tick` turns the spinner. */
export function renderFrame(p: IncidentProgress, now: number, tick: number): string {
  const end = p.endedAt ? Date.parse(p.endedAt) : now;
  const idWidth = Math.max(...p.steps.map((s) => s.id.length));
  const actionWidth = Math.max(...p.steps.map((s) => s.action.length));
  const lines = [
    `${p.incidentId}  ${p.mode === 'drill' ? 'DRILL ' : ''}${p.severity} ${p.class}: ${p.title}`,
    `state: ${p.state}   phase: ${p.phase}   elapsed: ${elapsed(p.startedAt, end)}`,
    '',
  ];
  for (const s of p.steps) {
    const mark = s.status === 'running' ? SPINNER[tick % SPINNER.length]! : STATUS_MARK[s.status];
    const took = s.startedAt ? elapsed(s.startedAt, s.endedAt ? Date.parse(s.endedAt) : now) : '';
    const pending = p.pendingApprovals.find((a) => a.step === s.id);
    const note = pending ? `waits for ${waitsOn(pending)}` : s.status === 'running' ? `running ${took}` : (s.error ?? s.summary ?? '');
    lines.push(
      `  ${mark}${lane(s)}${s.id.padEnd(idWidth)}  ${s.action.padEnd(actionWidth)}  ${s.status === 'running' || pending ? note : `${s.status}${took && s.endedAt ? ` ${took}` : ''}  ${truncate(note, 80)}`}`.trimEnd(),
    );
  }
  const waits: string[] = [];
  if (p.paused) waits.push(`paused by ${p.paused.by}${p.paused.reason ? ` (${p.paused.reason})` : ''}: \`tourniquet resume ${p.incidentId} --by <name>\``);
  if (p.pendingOperator)
    waits.push(`step ${p.pendingOperator.step} failed: \`tourniquet retry|skip|abort ${p.incidentId} ${p.pendingOperator.step} --by <name>\``);
  if (p.state === 'awaiting-control')
    waits.push(`waiting for a durable control: \`tourniquet control ${p.incidentId} --kind <kind> --note <text> --by <name>\``);
  for (const a of p.pendingApprovals) waits.push(`approve: \`tourniquet approve ${p.incidentId} ${a.step} --by <name>\``);
  const last = p.timeline.at(-1);
  return [...lines, ...(waits.length ? ['', ...waits] : []), ...(last ? ['', `last: ${eventLine(last)}`] : [])].join('\n');
}

function waitsOn(a: IncidentProgress['pendingApprovals'][number]): string {
  const from = a.approvers.length ? ` from ${a.approvers.join(', ')}` : ' from anyone';
  const not = a.excluded?.length ? ` (not ${a.excluded.join(', ')})` : '';
  const escalated = a.escalatedTo?.length ? `, escalated to ${a.escalatedTo.join(', ')}` : '';
  return `${a.needed} approval(s)${from}${not}${escalated}`;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function eventLine(e: TimelineEvent): string {
  return `${e.at.slice(11, 19)}  ${e.kind.padEnd(18)} ${e.step ? `[${e.step}] ` : ''}${e.by ? `(${e.by}) ` : ''}${e.message}`;
}

export interface WatchOptions {
  out: NodeJS.WriteStream;
  /** Redraw in place (a terminal); otherwise print one line per new timeline event. */
  live: boolean;
  json: boolean;
  pollMs?: number;
}

/** Follow the incident until it ends; returns its final progress. */
export async function watchIncident(client: Client, id: string, o: WatchOptions): Promise<IncidentProgress> {
  const pollMs = o.pollMs ?? 1_000;
  let progress = await getProgress(client, id);
  let printed = 0;
  let drawn = 0;
  let tick = 0;
  const draw = () => {
    // A line wider than the terminal wraps and breaks the count of lines to go back up: cut it.
    const width = Math.max(20, (o.out.columns || 100) - 1);
    const frame = renderFrame(progress, Date.now(), tick++)
      .split('\n')
      .map((l) => truncate(l, width))
      .join('\n');
    // Up to the first line of the last frame, clear from there down, draw the new one.
    o.out.write(`${drawn ? `\x1b[${drawn}F` : ''}\x1b[0J${frame}\n`);
    drawn = frame.split('\n').length;
  };
  const emit = () => {
    for (const e of progress.timeline.slice(printed)) o.out.write(`${o.json ? JSON.stringify({ incident: id, ...e }) : eventLine(e)}\n`);
    printed = progress.timeline.length;
  };
  if (o.live) o.out.write('\x1b[?25l'); // hide the cursor while redrawing
  const spinner = o.live ? setInterval(draw, 120) : undefined;
  try {
    for (;;) {
      if (!o.live) emit();
      if (FINAL_STATES.has(progress.state)) break;
      if (!(await running(client, id))) {
        progress = await getProgress(client, id);
        if (!o.live) emit();
        break;
      }
      await new Promise((r) => setTimeout(r, pollMs));
      progress = await getProgress(client, id);
    }
    if (o.live) draw();
    return progress;
  } finally {
    if (spinner) clearInterval(spinner);
    if (o.live) o.out.write('\x1b[?25h');
  }
}

/** The workflow may end without the tracker saying so (terminated, timed out). */
async function running(client: Client, id: string): Promise<boolean> {
  const description = await client.workflow.getHandle(id).describe();
  return description.status.name === 'RUNNING';
}
