/**
 * The Temporal UI's "current details" of an incident (markdown): the step list with statuses,
 * and what each wait waits on, with the exact signal to send. Pure.
 */
import type { TimelineEvent } from '../contract';
import { besideWhat, type IncidentProgress, type StepProgress } from '../contract/progress';

export const STATUS_MARK: Record<StepProgress['status'], string> = {
  pending: '·',
  'awaiting-approval': '⏸',
  running: '▶',
  succeeded: '✔',
  failed: '✘',
  skipped: '↷',
};

/** `‖` for a step that runs beside others (a group member, a fan-out item), a space otherwise: one column in every listing. */
export function lane(s: StepProgress): string {
  return s.group !== undefined || s.fanOut !== undefined ? '‖' : ' ';
}

export function renderDetails(p: IncidentProgress): string {
  const head = `**${p.mode === 'drill' ? 'DRILL ' : ''}${p.severity} ${p.class}**: ${p.title}`;
  const lines = [head, `state: ${p.state}, phase: ${p.phase}${p.requestedBy ? `, started by ${p.requestedBy}` : ''}`, ''];
  for (const s of p.steps) {
    const approved = s.approvedBy?.length ? `, approved by ${s.approvedBy.join(', ')}` : '';
    const beside = besideWhat(s);
    lines.push(`- ${STATUS_MARK[s.status]} \`${s.id}\` ${s.action} (${s.status}${approved}${beside ? `, ${beside}` : ''})`);
  }
  if (p.paused)
    lines.push(
      '',
      `Paused by ${p.paused.by}${p.paused.reason ? ` (${p.paused.reason})` : ''}: no new step starts. Send \`resume\` with \`{"by": "<your name>"}\`.`,
    );
  for (const a of p.pendingApprovals) {
    const from = a.approvers.length ? ` from ${a.approvers.join(', ')}` : ' from anyone';
    const not = a.excluded?.length ? ` (not ${a.excluded.join(', ')}: started the incident)` : '';
    const escalated = a.escalatedTo?.length ? `, escalated to ${a.escalatedTo.join(' then ')}` : '';
    lines.push('', `Waiting for ${a.needed} approval(s) of \`${a.step}\`${from}${not}${escalated}.`);
    const proven = p.steps.find((s) => s.id === a.step)?.identity === 'proven';
    const code = proven ? ', "code": "<6 digits from your authenticator app>"' : '';
    lines.push(`Send the signal \`approve\` with \`{"step": "${a.step}", "by": "<your name>"${code}}\`.`);
  }
  const ignored = lastIgnored(p);
  if (ignored) lines.push('', `Last signal ignored (${ignored.at}): ${ignored.message}`);
  if (p.pendingOperator)
    lines.push(
      '',
      `Step \`${p.pendingOperator.step}\` failed: send \`operator\` with \`{"step": "${p.pendingOperator.step}", "by": "<name>", "decision": "retry"}\` (or skip, abort).`,
    );
  if (p.state === 'awaiting-control')
    lines.push('', 'Waiting for a durable control: send `control` with `{"kind": "approval-gate", "note": "...", "by": "<name>"}`.');
  if (p.undo?.length) {
    lines.push('', 'Undone after cancellation (newest change first):');
    for (const u of p.undo) lines.push(`- ${u.status === 'succeeded' ? '✔' : u.status === 'failed' ? '✘' : '–'} \`${u.step}\`: ${u.message}`);
  }
  return lines.join('\n');
}

/**
 * The newest `signal-ignored` event while the incident is open: a signal cannot answer its
 * sender, so the place they look (current details, `status`) says why it changed nothing.
 */
export function lastIgnored(p: IncidentProgress): { at: string; message: string } | undefined {
  if (p.endedAt) return undefined;
  // Shown until the next decision that did count: then the sender got what they meant.
  const event = [...p.timeline].reverse().find((e) => e.kind === 'signal-ignored' || DECISIONS.has(e.kind));
  return event?.kind === 'signal-ignored' ? { at: event.at, message: event.message } : undefined;
}

/** Timeline events of a signal or update that was accepted. */
const DECISIONS: ReadonlySet<TimelineEvent['kind']> = new Set(['approved', 'denied', 'operator-answered', 'control-recorded', 'paused', 'resumed']);

/** The one line a status update says, even when nothing changed. */
export function renderStatus(p: IncidentProgress): string {
  const done = p.steps.filter((s) => s.status === 'succeeded' || s.status === 'skipped').length;
  const running = p.steps.filter((s) => s.status === 'running').map((s) => s.id);
  const waits = p.pendingApprovals.map((a) => `approval of ${a.step} (${a.needed} more${a.approvers.length ? ` from ${a.approvers.join(', ')}` : ''})`);
  if (p.pendingOperator) waits.push(`an operator for ${p.pendingOperator.step}`);
  if (p.state === 'awaiting-control') waits.push('a durable control');
  return `status: ${p.severity} ${p.class} is ${p.state} in phase ${p.phase}; ${done}/${p.steps.length} steps done${running.length ? `, running ${running.join(', ')}` : ''}${waits.length ? `; waiting for ${waits.join(', ')}` : ''}${p.paused ? `; paused by ${p.paused.by}` : ''}`;
}
