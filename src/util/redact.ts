// The one place that decides what a secret looks like. Two strengths on purpose:
// - a configured endpoint shown in the start-up summary, the doctor or OpAMP's effective config
//   (redactUrl) loses its credentials and its whole query: nobody needs to see them there;
// - a URL on a span (redactUrlValue, UrlRedactingProcessor) keeps its query, minus user:password
//   in the authority and the parameters the HTTP semantic conventions name as sensitive
//   (https://opentelemetry.io/docs/specs/semconv/http/http-spans/, url.full), because the rest
//   is what the span is about.

import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';

const URL_ATTRIBUTES = ['url.full', 'http.url', 'url.query', 'http.target'];
/**
 * Query parameters whose values are redacted on spans: the semantic conventions' list
 * (url.full: AWSAccessKeyId, Signature, sig, X-Goog-Signature), instrumentation-http's additions
 * (X-Amz-Signature, X-Amz-Credential, X-Amz-Security-Token: presigned S3 URLs), and ours: the
 * other signed-URL credentials (X-Goog-Credential) and the OAuth / API-key names that carry a
 * bearer secret in a query. Matched case-insensitively: a parameter wrongly redacted costs little.
 */
export const SEMCONV_SENSITIVE_QUERY_PARAMS = ['AWSAccessKeyId', 'Signature', 'sig', 'X-Goog-Signature'];
export const SENSITIVE_QUERY_PARAMS = [
  ...SEMCONV_SENSITIVE_QUERY_PARAMS,
  'X-Amz-Signature',
  'X-Amz-Credential',
  'X-Amz-Security-Token',
  'X-Goog-Credential',
  'access_token',
  'refresh_token',
  'id_token',
  'client_secret',
  'api_key',
  'apikey',
  'token',
  'password',
  'secret',
];
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// At the start of url.query, or after ? or & in a full URL.
const PARAM = new RegExp(`(^|[?&])((?:${SENSITIVE_QUERY_PARAMS.map(escapeRe).join('|')})=)[^&#]*`, 'gi');
const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)[^/@?#]+@/i;

/**
 * Headers that carry credentials: never captured on a remote config's say-so, and redacted when
 * captured by local configuration. The named ones, plus any name containing one of the words.
 */
export const SENSITIVE_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie'];
// Broad on purpose: vendors name credential headers freely (ocp-apim-subscription-key,
// x-functions-key, x-jwt-assertion); a header wrongly redacted costs little, a leaked key a lot.
export const SENSITIVE_HEADER_WORDS = ['key', 'jwt', 'assertion', 'signature', 'auth', 'token', 'secret', 'passw', 'cookie', 'session', 'credential', 'csrf', 'xsrf'];
const SENSITIVE_HEADER = new RegExp(`^(?:${SENSITIVE_HEADERS.join('|')})$|${SENSITIVE_HEADER_WORDS.join('|')}`, 'i');
const HEADER_ATTRIBUTE = /^http\.(?:request|response)\.header\.(.+)$/;

/** `x_api_key` (old semantic conventions) and `x-api-key` alike. */
export function isSensitiveHeader(name: string): boolean {
  return SENSITIVE_HEADER.test(name.replace(/_/g, '-'));
}

/** Drops user:password and query parameters (tokens travel there) from a URL. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.username || url.password) {
      url.username = 'REDACTED';
      url.password = '';
    }
    if (url.search) url.search = '?REDACTED';
    return url.toString().replace(/\/$/, '');
  } catch {
    return '<invalid URL>';
  }
}

// Free text (a line we print): a URL's user:password@ (with or without a scheme), a URL's whole
// query, `name=value` pairs whose name looks like a credential, and bearer tokens.
const TEXT_USERINFO = /((?:[a-z][a-z0-9+.-]*:)?\/\/)[^\s/@?#"'`]+@|(^|[\s"'`(=,])[^\s/@?#"'`:=,]+:[^\s/@?#"'`]+@(?=[^\s@]*[a-z0-9])/gi;
const TEXT_QUERY = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s?#"'`]*|(?:^|[\s"'`(])\/[^\s?#"'`]*)\?[^\s#"'`)]*/gi;
const SECRET_NAME = '[\\w.-]*(?:token|secret|passw(?:or)?d|pwd|api[-_]?key|apikey|auth|credential|signature|session|cookie|private[-_]?key|access[-_]?key)[\\w.-]*';
const TEXT_PAIR = new RegExp(`(${SECRET_NAME}\\s*=\\s*)("[^"]*"|'[^']*'|[^\\s,;&"'\`)]+)`, 'gi');
const BEARER = /\b(bearer|basic)\s+[a-z0-9._~+/=-]{6,}/gi;
const TEXT_SCHEME_USERINFO = /\b([a-z][a-z0-9+.-]*:\/{1,2})[^\s"'`@]*(?:@[^\s"'`@]*)*@(?=[^\s"'`@]*[a-z0-9])/gi;
const TEXT_FRAGMENT = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s#"'`]*)#[^\s"'`)]+/gi;

/**
 * Every line the preload prints goes through this (the logger does it): whatever a setting, a
 * header, an argv entry or an error message held, its credentials do not reach stderr.
 */
export function redactText(text: string): string {
  let out = text;
  if (out.includes('@')) {
    // A scheme then anything up to the token's last '@': a password with '/' or '#' in it (the
    // usual reason a value is not a URL) goes too.
    out = out.replace(TEXT_SCHEME_USERINFO, '$1REDACTED@');
    out = out.replace(TEXT_USERINFO, (_m, scheme, lead) => (scheme ? `${scheme}REDACTED@` : `${lead}REDACTED@`));
  }
  if (out.includes('?')) out = out.replace(TEXT_QUERY, '$1?REDACTED');
  if (out.includes('#')) out = out.replace(TEXT_FRAGMENT, '$1#REDACTED');
  if (/bearer|basic/i.test(out)) out = out.replace(BEARER, '$1 REDACTED');
  if (out.includes('=')) out = out.replace(TEXT_PAIR, '$1REDACTED');
  return out;
}

/**
 * Only the credentials of redactText — URL user-info and token-looking `name=value` values — for
 * free text that must keep its shape otherwise (captured prompts: a question mark is not a query).
 */
export function redactCredentials(text: string): string {
  let out = text;
  if (out.includes('@')) out = out.replace(TEXT_SCHEME_USERINFO, '$1REDACTED@');
  if (out.includes('=')) out = out.replace(TEXT_PAIR, '$1REDACTED');
  return out;
}

export function redactUrlValue(value: string): string {
  let out = value;
  if (out.includes('@')) out = out.replace(USERINFO, '$1REDACTED:REDACTED@');
  if (out.includes('=')) out = out.replace(PARAM, '$1$2REDACTED');
  return out;
}

/** Runs first on span end, so every exporter sees the redacted values. */
export class UrlRedactingProcessor implements SpanProcessor {
  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    try {
      const attributes = span.attributes as Record<string, unknown>;
      for (const key of URL_ATTRIBUTES) {
        const value = attributes[key];
        if (typeof value === 'string' && (value.includes('@') || value.includes('='))) attributes[key] = redactUrlValue(value);
      }
      for (const key in attributes) {
        if (!key.startsWith('http.re')) continue;
        const header = HEADER_ATTRIBUTE.exec(key);
        if (header && isSensitiveHeader(header[1])) attributes[key] = Array.isArray(attributes[key]) ? ['REDACTED'] : 'REDACTED';
      }
    } catch {
      // Never into the app's span.end(); the span goes on unredacted only if its attributes cannot be written.
    }
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
