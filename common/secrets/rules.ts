/**
 * Known token formats. Each rule marks the secret part of a match (`group`, else the whole
 * match): redaction replaces that part, the leak scan reports where it is.
 */
export interface TokenRule {
  id: string;
  pattern: RegExp;
  /** Capture group holding the secret; 0 = the whole match. */
  group: number;
}

const rule = (id: string, pattern: RegExp, group = 0): TokenRule => ({ id, pattern, group });

export const TOKEN_RULES: readonly TokenRule[] = [
  rule('private-key', /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g),
  rule('aws-access-key-id', /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g),
  rule('github-token', /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g),
  rule('slack-token', /\bxox[abposr]-[A-Za-z0-9-]{10,}/g),
  rule('slack-webhook', /https:\/\/hooks\.slack\.com\/(?:services|workflows)\/[A-Za-z0-9/_-]+/g),
  rule('stripe-key', /\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}\b/g),
  // OpenAI, Anthropic and many agent gateways: `sk-…`, `sk-proj-…`, `sk-ant-…`.
  rule('sk-api-key', /\bsk-[A-Za-z0-9_-]{20,}/g),
  rule('google-api-key', /\bAIza[0-9A-Za-z_-]{35}\b/g),
  rule('huggingface-token', /\bhf_[A-Za-z0-9]{30,}\b/g),
  rule('jwt', /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g),
  // `Authorization: Bearer …` pasted from a curl command or a log line.
  rule('bearer-token', /\bBearer\s+([A-Za-z0-9._~+/-]{20,}=*)/g, 1),
  rule('basic-auth-url', /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:([^\s@/]{3,})@/gi, 1),
  // `API_TOKEN=…`, `password: …`: a value assigned to a name that says it is secret (a
  // `sha256:` fingerprint is not one: notes and results name secrets that way on purpose).
  rule(
    'secret-assignment',
    /\b[A-Za-z0-9_.-]*(?:secret|token|passw(?:or)?d|api[_-]?key|private[_-]?key|access[_-]?key|credential|auth)[A-Za-z0-9_.-]*["']?\s*[:=]\s*["']?(?!\[redacted)(?!sha256:)([^\s"'#,;]{8,})/gi,
    1,
  ),
];

/**
 * Strings on a line that could be a secret, for matching against fingerprints: word-like runs,
 * and their parts around `=` and `:` (so `KEY=value` and `user:pass` yield the value).
 */
export function candidates(line: string): { value: string; index: number }[] {
  const out: { value: string; index: number }[] = [];
  for (const m of line.matchAll(/[A-Za-z0-9_\-+/=.~:]{8,}/g)) {
    const token = m[0];
    const at = m.index;
    out.push({ value: token, index: at });
    const trimmed = token.replace(/[.:]+$/, '');
    if (trimmed !== token && trimmed.length >= 8) out.push({ value: trimmed, index: at });
    let offset = 0;
    for (const part of token.split(/[=:]/)) {
      if (part.length >= 8 && part !== token) out.push({ value: part, index: at + offset });
      offset += part.length + 1;
    }
    const eq = token.indexOf('=');
    if (eq > 0 && token.length - eq - 1 >= 8) out.push({ value: token.slice(eq + 1), index: at + eq + 1 });
  }
  return out;
}
