/**
 * Durations people type in routes files and on the command line: `90s`, `10m`, `1h`, `30d`.
 * Written once so the routes file, `silence add --for` and `stats --since` read them alike.
 */
import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** A duration in milliseconds, from `"30s"`, `"10m"`, `"1h"`, `"30d"`. */
export const humanDuration = z
  .string()
  .regex(PATTERN, 'must look like "30s", "10m", "1h" or "30d"')
  .transform((text) => {
    const [, amount, unit] = PATTERN.exec(text)!;
    return Math.round(Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS]);
  })
  .refine((ms) => ms > 0, 'must be longer than zero');

/** "1h 5m", "42s": a duration as people read it. */
export function formatDuration(ms: number): string {
  if (ms < 10_000 && ms % 1000 !== 0) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? ` ${s % 60}s` : ''}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60 ? ` ${m % 60}m` : ''}`;
  return `${Math.floor(h / 24)}d${h % 24 ? ` ${h % 24}h` : ''}`;
}
