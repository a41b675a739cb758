/** The incident's lineage and clock under `tourniquet status`. */
import { clockLines, incidentClock } from '../common/clock';
import type { IncidentProgress } from '../contract';

export function renderClock(p: IncidentProgress): string {
  const out: string[] = [];
  if (p.follows) out.push(`follows up ${p.follows}`);
  if (p.severityRaised) out.push(`severity raised ${p.severityRaised.from} → ${p.severityRaised.to} at ${p.severityRaised.at}: the alert is flapping`);
  out.push('clock:', ...clockLines(incidentClock(p)).map((l) => `  ${l}`));
  return out.join('\n');
}
