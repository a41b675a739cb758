/** Severities S1 to S3, with the common names accepted as aliases. */
import { z } from 'zod';
import type { Severity } from '../contract';

/** Critical and High are S1 (data loss, exposed secret, external action), Medium S2, Low S3. */
export const SEVERITY_ALIASES: Record<string, Severity> = { critical: 'S1', high: 'S1', medium: 'S2', low: 'S3', s1: 'S1', s2: 'S2', s3: 'S3' };

/** A severity or one of its aliases, in any case; undefined when it is neither. */
export function parseSeverity(text: string): Severity | undefined {
  return SEVERITY_ALIASES[text.trim().toLowerCase()];
}

export const unknownSeverity = (text: string) => `unknown severity "${text}": use S1, S2, S3 (or Critical, High, Medium, Low)`;

export const severityInput = z.string().transform((v, ctx) => {
  const s = parseSeverity(v);
  if (!s) {
    ctx.addIssue({ code: 'custom', message: unknownSeverity(v) });
    return z.NEVER;
  }
  return s;
});
