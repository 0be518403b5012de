// Prompt and completion text, when the content switch is on: every string cut to a bound and
// secret-looking values masked, so that a key pasted into a prompt does not leave the process.
// The redaction follows util/redact.ts's rule for the rest of the preload: credentials out, shape kept.

import { redactCredentials } from '../../util/redact';

/** Per string value; the Java agent's default bound for message content. */
export const MAX_CONTENT_CHARS = 8192;
/** A whole captured value (all messages of a call), as JSON. */
export const MAX_CAPTURED_CHARS = 32768;

const SECRETS: RegExp[] = [
  /\b(sk|pk|rk)-[A-Za-z0-9_-]{16,}/g, // OpenAI, Anthropic (sk-ant-…), Stripe-style keys
  /\bAIza[0-9A-Za-z_-]{30,}/g, // Google API keys
  /\b(AKIA|ASIA)[0-9A-Z]{16}\b/g, // AWS access key ids
  /\bgh[pousr]_[A-Za-z0-9]{30,}/g, // GitHub tokens
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/g, // Slack tokens
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, // JWTs
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, // authorization values
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
];

export function redactText(text: string): string {
  let out = text.length > MAX_CONTENT_CHARS ? text.slice(0, MAX_CONTENT_CHARS) : text;
  for (const re of SECRETS) out = out.replace(re, 'REDACTED');
  out = redactCredentials(out);
  return text.length > MAX_CONTENT_CHARS ? `${out}…[${text.length - MAX_CONTENT_CHARS} more characters]` : out;
}

/** A copy of `value` with every string redacted and bounded; depth and breadth bounded too. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return '[nested too deep]';
  if (Array.isArray(value)) return value.slice(0, 256).map((v) => redactValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const [k, v] of Object.entries(value)) {
    if (n++ >= 256) break;
    out[k] = redactValue(v, depth + 1);
  }
  return out;
}

/** A captured value as the span attribute holds it: redacted JSON, bounded in total. */
export function contentAttribute(value: unknown): string | undefined {
  let json: string | undefined;
  try {
    json = JSON.stringify(redactValue(value));
  } catch {
    return undefined;
  }
  if (json === undefined) return undefined;
  return json.length > MAX_CAPTURED_CHARS ? `${json.slice(0, MAX_CAPTURED_CHARS)}…` : json;
}
