/**
 * Time windows for evidence: "since 2h" and ISO times, and the lines of a log file that fall
 * inside a window. A line without a timestamp belongs to the line before it (stack traces).
 */

/** An ISO-8601 time, or an age before `now` such as "2h", "30m", "1d". */
export function resolveTime(spec: string, now: Date): Date {
  const age = /^(\d+)(ms|s|m|h|d)$/.exec(spec);
  if (age) {
    const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
    return new Date(now.getTime() - Number(age[1]) * unit);
  }
  const t = new Date(spec.includes('T') || spec.length <= 10 ? spec : spec.replace(' ', 'T'));
  if (Number.isNaN(t.getTime())) throw new Error(`not a time: ${spec}`);
  return t;
}

/** journalctl's `--since` form, in UTC so the worker's time zone does not matter. */
export function journalTime(t: Date): string {
  return `${t.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The time a log line starts with: ISO-8601, syslog (`Nov 22 10:00:01`), or a JSON line's `time`. */
export function lineTime(line: string, now: Date): Date | undefined {
  const iso = /^\[?(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)/.exec(line);
  if (iso) {
    const t = new Date(iso[1]!.replace(' ', 'T').replace(',', '.'));
    return Number.isNaN(t.getTime()) ? undefined : t;
  }
  const syslog = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d)/.exec(line);
  if (syslog && MONTHS.includes(syslog[1]!)) {
    // Syslog has no year: this year, unless that would be in the future.
    const at = (year: number) => new Date(year, MONTHS.indexOf(syslog[1]!), Number(syslog[2]), Number(syslog[3]), Number(syslog[4]), Number(syslog[5]));
    const t = at(now.getFullYear());
    return t.getTime() > now.getTime() + 86_400_000 ? at(now.getFullYear() - 1) : t;
  }
  if (line.startsWith('{')) {
    try {
      const time = (JSON.parse(line) as { time?: unknown; timestamp?: unknown; ts?: unknown }) ?? {};
      const v = time.time ?? time.timestamp ?? time.ts;
      const t = typeof v === 'number' ? new Date(v < 1e12 ? v * 1000 : v) : typeof v === 'string' ? new Date(v) : undefined;
      return t && !Number.isNaN(t.getTime()) ? t : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The lines of `text` inside [since, until]; lines before the first timestamp count as undated. */
export function excerpt(text: string, now: Date, since?: Date, until?: Date): { text: string; lines: number; undated: number } {
  let keep = since === undefined;
  let lines = 0;
  let undated = 0;
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const t = lineTime(line, now);
    if (t) keep = (since === undefined || t >= since) && (until === undefined || t <= until);
    else if (lines === 0 && out.length === 0 && since !== undefined) undated++;
    if (keep) {
      out.push(line);
      lines++;
    }
  }
  return { text: out.join('\n'), lines, undated };
}
