/** Plain-text rendering of an incident's progress for terminals and logs. */
import type { IncidentProgress, StepProgress } from '../contract';
import { lane, lastIgnored, STATUS_MARK as MARK } from '../workflows/details';

function time(iso: string | undefined): string {
  return iso ? iso.slice(11, 19) : '';
}

function duration(step: StepProgress): string {
  if (!step.startedAt) return '';
  const end = step.endedAt ? Date.parse(step.endedAt) : Date.now();
  const ms = end - Date.parse(step.startedAt);
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`;
}

export function renderProgress(p: IncidentProgress): string {
  const rows = p.steps.map((s) => [
    `${MARK[s.status]}${lane(s)}${s.id}`,
    s.phase,
    s.action,
    s.status,
    s.attempts ? String(s.attempts) : '',
    time(s.startedAt),
    duration(s),
    s.error ?? s.summary ?? (s.needsApproval && s.status === 'pending' ? 'needs approval' : ''),
  ]);
  const header = ['step', 'phase', 'action', 'status', 'tries', 'started', 'took', 'result'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [
    `${p.incidentId}  ${p.mode === 'drill' ? 'DRILL (nothing changes)  ' : ''}${p.severity} ${p.class}  state: ${p.state}  phase: ${p.phase}`,
    p.title,
    '',
    line(header),
    ...rows.map(line),
  ];
  for (const a of p.pendingApprovals) {
    const from = a.approvers.length ? ` from ${a.approvers.join(', ')}` : '';
    const proven = p.steps.find((s) => s.id === a.step)?.identity === 'proven' ? ', each with a code or SSH signature' : '';
    out.push(
      '',
      `waiting for ${a.needed} approval(s) of ${a.step}${from}${a.excluded?.length ? ` (not ${a.excluded.join(', ')})` : ''}${proven} since ${time(a.since)}`,
    );
  }
  const ignored = lastIgnored(p);
  if (ignored) out.push('', `last signal ignored at ${time(ignored.at)}: ${ignored.message}`);
  if (p.paused) out.push('', `paused by ${p.paused.by} at ${time(p.paused.at)}${p.paused.reason ? `: ${p.paused.reason}` : ''}`);
  if (p.steps.some((s) => lane(s) !== ' ')) out.push('', '‖ runs beside the steps of its group or fan-out');
  for (const u of p.undo ?? []) out.push(`undo of ${u.step}: ${u.status}: ${u.message}`);
  return out.join('\n');
}

export function renderTimeline(p: IncidentProgress): string {
  return p.timeline.map((e) => `${time(e.at)}  ${e.kind.padEnd(18)} ${e.step ? `[${e.step}] ` : ''}${e.message}`).join('\n');
}
