/** Fingerprints this incident already knows as secret: every value its rotations replaced or made. */
import type { Journal } from '../journal';

export function rotatedFingerprints(journal: Journal, workflowId: string): { old: string[]; all: Set<string> } {
  const old: string[] = [];
  const all = new Set<string>();
  for (const entry of journal.all(workflowId)) {
    if (entry.action !== 'rotateKey' && entry.action !== 'openclawRotateToken') continue;
    // Both the pending record and the result hold fingerprints; a crashed rotation has only the record.
    for (const source of [entry.record, entry.result?.data]) {
      const s = source as { oldFingerprint?: unknown; newFingerprint?: unknown } | undefined;
      if (typeof s?.oldFingerprint === 'string') {
        old.push(s.oldFingerprint);
        all.add(s.oldFingerprint);
      }
      if (typeof s?.newFingerprint === 'string') all.add(s.newFingerprint);
    }
  }
  return { old: [...new Set(old)], all };
}
