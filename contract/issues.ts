/**
 * zod issues as `path: message` lines, the form every edge reports bad input in. Its own
 * module, free of the schemas: the CLI reports a bad option without building them.
 */
import type { z } from 'zod';

export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const where = issue.path.length ? issue.path.map(String).join('.') : '(input)';
    return `${where}: ${issue.message}`;
  });
}
