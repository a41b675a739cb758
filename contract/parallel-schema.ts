/**
 * The schemas of a step's `group` and `fanOut` fields (see parallel.ts, which the workflow
 * imports without the schema library). Each parses to exactly the interface parallel.ts names.
 */
import { z } from 'zod';
import { NAME_PATTERN } from './grammar';
import { GATES, type FanOutSpec, type GroupSpec } from './parallel';

const name = z.string().regex(NAME_PATTERN);

export const groupSpec = z.object({
  id: name,
  join: z.enum(['all', 'any']).default('all'),
  gate: z.enum(GATES).default('once'),
}) satisfies z.ZodType<GroupSpec>;

export const fanOutSpec = z.object({
  step: name,
  item: name,
  maxConcurrency: z.number().int().min(1).max(100).default(4),
  errorThreshold: z.number().int().min(1).optional(),
  gate: z.enum(GATES).default('once'),
}) satisfies z.ZodType<FanOutSpec>;
