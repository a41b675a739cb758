/**
 * Defence in depth for everything written for people to read (the incident note, reports):
 * replace values in well-known secret formats with a placeholder naming the format and its
 * fingerprint. The note is built from summaries and fingerprints that never hold a secret;
 * this catches what a human pasted into a comment, a title or a control note. The formats are
 * the leak scanner's (`activities/leaks`): one list for scanning and for redacting.
 */
import { redactText } from './secrets/detect';

export function redactSecrets(text: string): { text: string; redacted: number } {
  const out = redactText(text);
  return { text: out.text, redacted: out.redactions };
}
