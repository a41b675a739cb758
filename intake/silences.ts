/**
 * Silences: "for the next 2 h, alerts with instance=agent-1 start nothing". A matching
 * delivery is answered (`silenced`), counted, logged and recorded in `silenced.jsonl`; no
 * incident hears of it.
 *
 * They live in a small JSON file in the intake's state folder, not in Temporal. A silence is
 * what an operator reaches for when things are noisy or half broken, so it must hold while the
 * Temporal server is down or restarting, and it is checked on every delivery, where a file
 * whose modification time did not change costs one `stat` and a workflow query a round trip.
 * The file is written whole to a temporary name and renamed over the old one (a reader sees
 * the old file or the new one, never half of one), under a lock file so two `silence add` at
 * once do not lose either. A silence expires on its own: `endsAt` is compared with the clock
 * at each delivery, nothing has to run for it to end.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { Problem } from '../common/errors';
import { formatIssues } from '../contract';
import type { AlertView, Delivery } from './sources';

const labelName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'a label name');

export const silenceSchema = z
  .object({
    id: z.string().regex(/^sil-[0-9a-f]{8,32}$/),
    /** Every label must have exactly this value on one alert of the delivery. */
    matchers: z.record(labelName, z.string().max(300)).refine((m) => Object.keys(m).length > 0, 'name at least one label'),
    reason: z.string().min(1).max(500),
    by: z.string().min(1).max(100),
    createdAt: z.iso.datetime({ offset: true }),
    endsAt: z.iso.datetime({ offset: true }),
    /** Set when someone ended it before `endsAt`. */
    expiredAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export type Silence = z.infer<typeof silenceSchema>;

const fileSchema = z.object({ silences: z.array(silenceSchema) }).strict();

/** Ended silences are kept this long for `silence list --all`, then dropped at the next write. */
const KEEP_ENDED_MS = 7 * 86_400_000;

export const isActive = (s: Silence, now: Date): boolean => s.expiredAt === undefined && Date.parse(s.endsAt) > now.getTime();

/** `instance=agent-1` pairs, as `--match` gives them, into matchers. */
export function parseMatchers(pairs: string[]): Record<string, string> {
  const matchers: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const name = eq > 0 ? pair.slice(0, eq) : '';
    if (!labelName.safeParse(name).success) throw new Problem('InvalidInput', `--match "${pair}": write label=value, e.g. instance=agent-1`);
    matchers[name] = pair.slice(eq + 1);
  }
  if (!Object.keys(matchers).length) throw new Problem('InvalidInput', 'name at least one --match label=value');
  return matchers;
}

const matches = (s: Silence, alert: AlertView) => Object.entries(s.matchers).every(([k, v]) => Object.hasOwn(alert.labels, k) && alert.labels[k] === v);

export interface SilenceHit {
  at: string;
  silence: string;
  source: string;
  key: string;
  status: string;
  summary: string;
}

export class SilenceBook {
  readonly file: string;
  readonly hitsFile: string;
  private cached: { stamp: string; silences: Silence[] } | undefined;

  constructor(readonly dir: string) {
    this.file = join(dir, 'silences.json');
    this.hitsFile = join(dir, 'silenced.jsonl');
  }

  /** Every silence in the file, active or not; re-read only when the file changed. */
  all(): Silence[] {
    let stamp: string;
    try {
      const st = statSync(this.file);
      stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    if (this.cached?.stamp !== stamp) this.cached = { stamp, silences: this.parse(readFileSync(this.file, 'utf8')) };
    return this.cached.silences;
  }

  active(now: Date): Silence[] {
    return this.all().filter((s) => isActive(s, now));
  }

  /** The first active silence that one alert of the delivery matches. */
  match(delivery: Pick<Delivery, 'alerts'>, now: Date): Silence | undefined {
    return this.active(now).find((s) => delivery.alerts.some((a) => matches(s, a)));
  }

  add(o: { matchers: Record<string, string>; forMs: number; reason: string; by: string }, now = new Date()): Silence {
    const silence = silenceSchema.parse({
      id: `sil-${randomBytes(6).toString('hex')}`,
      matchers: o.matchers,
      reason: o.reason,
      by: o.by,
      createdAt: now.toISOString(),
      endsAt: new Date(now.getTime() + o.forMs).toISOString(),
    });
    this.rewrite((list) => [...list.filter((s) => isActive(s, now) || now.getTime() - endOf(s) < KEEP_ENDED_MS), silence]);
    return silence;
  }

  /** End a silence now; an unknown or already ended one is refused with what there is. */
  expire(id: string, now = new Date()): Silence {
    let ended: Silence | undefined;
    this.rewrite((list) =>
      list.map((s) => {
        if (s.id !== id) return s;
        if (!isActive(s, now))
          throw new Problem('Refused', `silence ${id} has already ended (${s.expiredAt ? `expired ${s.expiredAt}` : `ran out ${s.endsAt}`})`);
        ended = { ...s, expiredAt: now.toISOString() };
        return ended;
      }),
    );
    if (!ended) throw new Problem('InvalidInput', `no silence ${id}: see \`tourniquet silence list --all\``);
    return ended;
  }

  /** One line per silenced delivery: appended whole (one write), so lines never interleave. */
  recordHit(hit: SilenceHit): void {
    mkdirSync(this.dir, { recursive: true });
    appendFileSync(this.hitsFile, `${JSON.stringify(hit)}\n`);
  }

  /** Silenced deliveries per silence id. */
  hitCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    let text = '';
    try {
      text = readFileSync(this.hitsFile, 'utf8');
    } catch {
      return counts;
    }
    for (const line of text.split('\n')) {
      const id = /"silence":"(sil-[0-9a-f]+)"/.exec(line)?.[1];
      if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  }

  private parse(text: string): Silence[] {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new Problem('InvalidInput', `${this.file} is not JSON: ${(err as Error).message}`);
    }
    const parsed = fileSchema.safeParse(json);
    if (!parsed.success) throw new Problem('InvalidInput', `${this.file}: ${formatIssues(parsed.error).join('; ')}`);
    return parsed.data.silences;
  }

  private rewrite(change: (list: Silence[]) => Silence[]): void {
    mkdirSync(this.dir, { recursive: true });
    const lock = `${this.file}.lock`;
    withLock(lock, () => {
      this.cached = undefined;
      const next = change(this.all());
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify({ silences: next }, null, 2)}\n`, { mode: 0o600 });
      renameSync(tmp, this.file);
    });
  }
}

const endOf = (s: Silence) => Date.parse(s.expiredAt ?? s.endsAt);

/** Run `fn` holding a lock file; a lock older than 30 s is taken to be left by a crash. */
function withLock(lock: string, fn: () => void): void {
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 30_000) rmSync(lock, { force: true });
      else if (Date.now() > deadline) throw new Problem('Refused', `${lock} is held by another writer; try again`);
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
  try {
    fn();
  } finally {
    rmSync(lock, { force: true });
  }
}
