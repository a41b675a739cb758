/**
 * The incident note the runbook asks for, as markdown, from the incident's own record.
 * Sanitized by construction: progress holds summaries, ids and fingerprints, never secrets.
 */
import { CONTROL_DESCRIPTIONS, type IncidentProgress } from '../workflows/contract';

export function renderNote(p: IncidentProgress, writtenAt: string): string {
  const done = p.steps.filter((s) => s.status === 'succeeded');
  const byAction = (...actions: string[]) => done.filter((s) => actions.includes(s.action));
  const bullet = (items: string[], empty: string) => (items.length ? items.map((i) => `- ${i}`).join('\n') : `- ${empty}`);
  const evidence = byAction('captureEvidence').map((s) => `${s.id}: ${String(s.result?.folder)} (manifest sha256 ${String(s.result?.manifestSha256)})`);
  const lines = [
    `# Incident ${p.incidentId}${p.mode === 'drill' ? ' (drill)' : ''}`,
    '',
    `**${p.severity} ${p.class}**: ${p.title}`,
    '',
    '## What happened',
    p.title,
    '',
    '## When',
    `- started: ${p.startedAt}`,
    `- note written: ${writtenAt}`,
    '',
    '## Actors and targets',
    bullet(p.targets, 'none named'),
    ...(p.playbook ? ['', `Playbook: ${p.playbook}`] : []),
    '',
    '## Frozen, rotated, restored, removed',
    bullet(
      byAction('stopService', 'rotateKey', 'restoreBackup', 'quarantine', 'lockNetwork').map((s) => `${s.id}: ${s.summary ?? ''}`),
      'nothing',
    ),
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
    '',
    '## Evidence',
    bullet(evidence, 'no evidence captured'),
    '',
    '## Steps',
    '| step | phase | action | status | result |',
    '| --- | --- | --- | --- | --- |',
    ...p.steps.map((s) => `| ${s.id} | ${s.phase} | ${s.action} | ${s.status} | ${(s.error ?? s.summary ?? '').replace(/\|/g, '\\|')} |`),
    '',
    '## Timeline',
    ...p.timeline.map((e) => `- ${e.at} ${e.kind}${e.step ? ` [${e.step}]` : ''}${e.by ? ` (${e.by})` : ''}: ${e.message}`),
    '',
  ];
  return lines.join('\n');
}
