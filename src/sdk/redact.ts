// Redacts credentials from URLs on every span before export, whatever instrumentation set them:
// user:password in the authority, and the query parameters the HTTP semantic conventions name
// as sensitive (https://opentelemetry.io/docs/specs/semconv/http/http-spans/, url.full).

import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';

const URL_ATTRIBUTES = ['url.full', 'http.url', 'url.query'];
export const SENSITIVE_QUERY_PARAMS = ['AWSAccessKeyId', 'Signature', 'sig', 'X-Goog-Signature'];
// At the start of url.query, or after ? or & in a full URL.
const PARAM = new RegExp(`(^|[?&])((?:${SENSITIVE_QUERY_PARAMS.join('|')})=)[^&#]*`, 'g');
const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)[^/@?#]+@/i;

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
