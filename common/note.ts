/**
 * The incident note the runbook asks for, as markdown, from the incident's own record (and,
 * for `tourniquet report`, its Temporal history). Sanitized by construction: progress holds
 * summaries, ids and fingerprints, never secrets; a redaction pass for well-known token
 * formats runs over the whole note anyway, for what people typed into comments and notes.
 */
import { ACTIONS, besideWhat, CONTROL_DESCRIPTIONS, type IncidentProgress, type StepProgress } from '../contract';
import { clockLines, incidentClock } from './clock';
import { redactSecrets } from './redact';

/** One line of an incident's history, as the note prints it. */
export interface HistoryLine {
  at: string;
  what: string;
}

export interface NoteExtras {
  /** The timeline from the workflow history (`tourniquet report`). */
  history?: HistoryLine[];
}

const bullet = (items: string[], empty: string) => (items.length ? items.map((i) => `- ${i}`).join('\n') : `- ${empty}`);
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderNote(p: IncidentProgress, writtenAt: string, extras: NoteExtras = {}): string {
  const done = p.steps.filter((s) => s.status === 'succeeded');
  const byAction = (...actions: string[]) => done.filter((s) => actions.includes(s.action));
  const contained = done.filter((s) => ACTIONS[s.action].note === 'contained');
  const lines = [
    `# Incident ${p.incidentId}${p.mode === 'drill' ? ' (drill)' : ''}`,
    '',
    `**${p.severity} ${p.class}**: ${p.title}`,
    '',
    '## What happened',
    p.title,
    '',
    `Outcome: ${outcome(p, writtenAt)}`,
    '',
    '## When',
    `- started: ${p.startedAt}`,
    `- stopped: ${p.endedAt ?? (resolvesWithNote(p) ? `${writtenAt} (this note is its last step)` : `still open (${p.state})`)}`,
    `- note written: ${writtenAt}`,
    ...(p.follows ? [`- follows up: ${p.follows}`] : []),
    ...(p.severityRaised ? [`- severity raised ${p.severityRaised.from} → ${p.severityRaised.to} at ${p.severityRaised.at} (flapping alert)`] : []),
    '',
    '## Clock',
    bullet(clockLines(incidentClock(p, writtenAt)), ''),
    '',
    '## Actors and targets',
    ...(p.requestedBy ? [`- started by: ${p.requestedBy}`] : []),
    `- people who acted: ${actors(p).join(', ') || 'none recorded'}`,
    `- targets: ${p.targets.join(', ') || 'none named'}`,
    ...(p.playbook ? [`- playbook: ${p.playbook}`] : []),
    '',
    '## Frozen, rotated, restored, removed',
    bullet(
      contained.map((s) => `${s.id}: ${s.summary ?? ''}`),
      'nothing',
    ),
    '',
    '## Decisions',
    bullet(decisions(p.steps), 'no step needed a decision'),
    '',
    '## Durable controls',
    bullet(
      p.controls.map((c) => `${c.kind} (${CONTROL_DESCRIPTIONS[c.kind]}): ${c.note} (by ${c.by}, ${c.at})`),
      'none recorded: the incident is not closed',
    ),
    '',
    '## Verification',
    bullet(
      done.filter((s) => s.phase === 'verify').map((s) => `${s.id}: ${s.summary ?? ''}`),
      'no verify step succeeded',
    ),
    ...(p.undo?.length
      ? [
          '',
          '## Undone after cancellation (newest change first)',
          bullet(
            p.undo.map((u) => `${u.step}: ${u.status}: ${u.message}`),
            '',
          ),
        ]
      : []),
    '',
    '## Evidence',
    ...evidence(byAction('captureEvidence')),
    '',
    '## Steps',
    '| step | phase | action | status | ran beside | result |',
    '| --- | --- | --- | --- | --- | --- |',
    ...p.steps.map((s) => `| ${s.id} | ${s.phase} | ${s.action} | ${s.status} | ${besideWhat(s) ?? ''} | ${cell(s.error ?? s.summary ?? '')} |`),
    '',
    '## Timeline',
    ...p.timeline.map((e) => `- ${e.at} ${e.kind}${e.step ? ` [${e.step}]` : ''}${e.by ? ` (${e.by})` : ''}: ${e.message}`),
    ...(extras.history ? ['', '## Workflow history', ...extras.history.map((h) => `- ${h.at} ${h.what}`)] : []),
    '',
  ];
  return redactSecrets(lines.join('\n')).text;
}

function outcome(p: IncidentProgress, writtenAt: string): string {
  const finished = p.timeline.filter((e) => e.kind === 'incident-finished').at(-1);
  if (p.endedAt) return `${p.state} at ${p.endedAt}${finished ? `: ${finished.message}` : ''}`;
  if (resolvesWithNote(p)) return `resolved at ${writtenAt}: every step done; writing this note is the last one`;
  return `still ${p.state}, in phase ${p.phase}`;
}

/**
 * The note is written by the incident's last step: every other step has succeeded or was
 * skipped, so the incident resolves as the note is written (and the note says so).
 */
function resolvesWithNote(p: IncidentProgress): boolean {
  const rest = p.steps.filter((s) => s.action !== 'writeNote');
  const notes = p.steps.filter((s) => s.action === 'writeNote');
  return (
    p.mode === 'live' &&
    notes.length > 0 &&
    notes.every((s) => s.status === 'running' || s.status === 'succeeded') &&
    rest.every((s) => s.status === 'succeeded' || s.status === 'skipped')
  );
}

/** Everyone recorded as acting on the incident: approvers, deciders, operators. */
function actors(p: IncidentProgress): string[] {
  const names = new Set<string>();
  for (const e of p.timeline) if (e.by && e.kind !== 'signal-ignored') names.add(e.by);
  for (const c of p.controls) names.add(c.by);
  return [...names];
}

function decisions(steps: StepProgress[]): string[] {
  return steps.flatMap((s) =>
    (s.decisions ?? []).map(
      (d) =>
        `${s.id}: ${d.kind === 'approve' ? 'approved' : 'denied'} by ${d.by}${d.proof === 'totp' ? ' (proven: authenticator code)' : d.proof === 'ssh' ? ` (proven: SSH key ${d.fingerprint ?? ''})` : ''} at ${d.at}${d.why ? `: ${d.why}` : ''}`,
    ),
  );
}

/** Each capture with its manifest: folder, manifest hash, and the files with their hashes. */
function evidence(captures: StepProgress[]): string[] {
  if (!captures.length) return ['- no evidence captured'];
  return captures.flatMap((s) => {
    const r = s.result ?? {};
    const entries = Array.isArray(r.entries) ? (r.entries as { path: string; sha256: string; bytes: number }[]) : [];
    const missing = Array.isArray(r.missing) ? (r.missing as string[]) : [];
    return [
      `### ${s.id}`,
      `- folder: ${String(r.folder)}`,
      `- manifest: manifest.json, sha256 ${String(r.manifestSha256)}, ${String(r.files ?? entries.length)} file(s)${missing.length ? `; missing: ${missing.join(', ')}` : ''}`,
      ...(entries.length
        ? ['', '| file | sha256 | bytes |', '| --- | --- | --- |', ...entries.map((e) => `| ${cell(e.path)} | ${e.sha256} | ${e.bytes} |`)]
        : []),
      '',
    ];
  });
}
