/**
 * The small grammars every part speaks, each written once: names, placeholders, severities.
 * Plain regular expressions, no zod: the workflow may import this module.
 */

/** Step ids, inventory names, route names: lower-case letters, digits and dashes, up to 63. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const NAME_RULE = 'lower-case letters, digits and dashes, e.g. "stop-gateway"';

/** Playbook and template parameter names: a letter or _, then letters, digits, _ (up to 64). */
const PARAM = '[A-Za-z_][A-Za-z0-9_]{0,63}';
/** A whole value that is one `{{parameter}}` reference (group 1: the name). */
export const PLACEHOLDER = new RegExp(`^\\{\\{\\s*(${PARAM})\\s*\\}\\}$`);

/** Replace each `{{parameter}}` in `text` with its value; one without a value stays as written. */
export function fillPlaceholders(text: string, params: Readonly<Record<string, unknown>>): string {
  return text.replace(new RegExp(`\\{\\{\\s*(${PARAM})\\s*\\}\\}`, 'g'), (m, name: string) => (params[name] === undefined ? m : String(params[name])));
}

/** The seven incident classes of the agent incident runbook. */
export const INCIDENT_CLASSES = [
  'destructive-action',
  'secret-exposure',
  'public-leak',
  'runaway-automation',
  'prompt-injection',
  'memory-corruption',
  'service-outage',
] as const;

/** S1: data loss, exposed secret, public leak, external action. S2: broken service. S3: contained. */
export const SEVERITIES = ['S1', 'S2', 'S3'] as const;
export type Severity = (typeof SEVERITIES)[number];
