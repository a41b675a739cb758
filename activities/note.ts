/** writeNote: the sanitized incident note, written into the incident's private folder. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { renderNote } from '../common/note';
import type { ActivityDeps } from './deps';
import { StepError } from './errors';
import { sha256 } from '../common/hash';
import { incidentDir, writeFileAtomic } from './journal';
import { defineStep } from './step';

export function noteActivities(deps: ActivityDeps) {
  const writeNote = defineStep(deps, 'writeNote', {
    plan: (_args, key) => [{ kind: 'write', detail: `write the incident note to ${join(incidentDir(deps.home, key.workflowId), 'incident-note.md')}` }],
    run: async (io) => {
      const progress = io.progress;
      if (!progress) throw new StepError('InvalidArguments', 'writeNote runs only as a step of an incident (it needs the incident progress)');
      const dir = incidentDir(deps.home, io.key.workflowId);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const path = join(dir, 'incident-note.md');
      const text = renderNote(progress, deps.now().toISOString());
      writeFileAtomic(path, text, 0o600);
      return { summary: `incident note written to ${path}`, data: { path, sha256: sha256(text), controls: progress.controls.length } };
    },
  });
  return { writeNote };
}
