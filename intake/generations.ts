/**
 * The incidents of one alert key, in order. The first has the key's base id; each later one
 * (a follow-up after a re-fire, or a new incident once the reopen window has passed) gets
 * `<base>-2`, `<base>-3`, ... and links to the one before it. Ids are never reused: an ended
 * incident keeps its record, and a firing after it decides between a follow-up and a record.
 *
 * Temporal is the source of truth (describe each id in turn), so a restarted intake finds the
 * current incident again; a cache of the latest generation per key keeps the common case (an
 * incident running, or none yet) to one call.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';

export const generationId = (baseId: string, generation: number): string => (generation === 1 ? baseId : `${baseId}-${generation}`);

export type Located = { kind: 'none' } | { kind: 'running'; generation: number; id: string } | { kind: 'ended'; generation: number; id: string; endedAt: Date };

/** More generations than any key will see: a bound on the walk, not a limit anyone meets. */
const MAX_GENERATIONS = 10_000;

/** The latest incident of a base id, walking from `from` (a generation known to exist). */
export async function locate(client: Client, baseId: string, from = 1): Promise<Located> {
  let last: Located = { kind: 'none' };
  for (let generation = from; generation < MAX_GENERATIONS; generation++) {
    const id = generationId(baseId, generation);
    let description;
    try {
      description = await client.workflow.getHandle(id).describe();
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      // The remembered generation is gone (deleted by retention): walk from the first one.
      if (generation === from && from > 1) return locate(client, baseId, 1);
      return last;
    }
    if (description.status.name === 'RUNNING') return { kind: 'running', generation, id };
    last = { kind: 'ended', generation, id, endedAt: description.closeTime ?? description.startTime };
  }
  return last;
}

/** The latest generation seen per base id, least recently used dropped first. */
export class GenerationCache {
  private readonly latest = new Map<string, number>();
  constructor(private readonly max = 100_000) {}
  get(baseId: string): number {
    return this.latest.get(baseId) ?? 1;
  }
  has(baseId: string): boolean {
    return this.latest.has(baseId);
  }
  set(baseId: string, generation: number): void {
    this.latest.delete(baseId);
    this.latest.set(baseId, generation);
    if (this.latest.size > this.max) this.latest.delete(this.latest.keys().next().value!);
  }
}
