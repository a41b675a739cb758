/**
 * Defence in depth for everything written for people to read (the incident note, reports):
 * replace values in well-known secret formats with a placeholder naming the format. The note
 * is built from summaries and fingerprints that never hold a secret; this catches what a
 * human pasted into a comment, a title or a control note.
 */

/** Well-known token formats, most specific first. Each match becomes `[redacted <name>]`. */
export const SECRET_PATTERNS: readonly { name: string; pattern: RegExp }[] = [
  { name: 'private key', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g },
  { name: 'Anthropic key', pattern: /\bsk-ant-[A-Za-z0-9_-]{20,}/g },
  { name: 'OpenAI-style key', pattern: /\bsk-(?:live-|test-|proj-|svcacct-)?[A-Za-z0-9_-]{20,}/g },
  { name: 'Stripe key', pattern: /\b(?:rk|pk|sk)_(?:live|test)_[A-Za-z0-9]{16,}/g },
  { name: 'GitHub token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})/g },
  { name: 'GitLab token', pattern: /\bglpat-[A-Za-z0-9_-]{20,}/g },
  { name: 'Slack token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  { name: 'Slack webhook', pattern: /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/_-]+/g },
  { name: 'AWS access key', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { name: 'Google API key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { name: 'JWT', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  { name: 'bearer token', pattern: /\b(Bearer\s+)[A-Za-z0-9._~+/-]{20,}=*/g },
  { name: 'secret assignment', pattern: /\b((?:[A-Z0-9_]*_)?(?:API_KEY|SECRET|TOKEN|PASSWORD|PASSWD)\s*[=:]\s*)(?!sha256:)["']?[^\s"'[]{8,}["']?/gi },
];

/** The text with every match of a well-known secret format replaced; counts what it replaced. */
export function redactSecrets(text: string): { text: string; redacted: number } {
  let redacted = 0;
  let out = text;
  for (const { name, pattern } of SECRET_PATTERNS) {
    out = out.replace(pattern, (_match, prefix: unknown) => {
      redacted++;
      return `${typeof prefix === 'string' ? prefix : ''}[redacted ${name}]`;
    });
  }
  return { text: out, redacted };
}
