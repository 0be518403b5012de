// The HTTP Retry-After header, as both the OTLP/HTTP exporter and the OpAMP client read it.

/**
 * Retry-After: delay-seconds or an HTTP date; undefined when absent or unreadable (then our own
 * backoff applies). A negative or fractional number is not a date, though Date.parse('-5') reads
 * one; only a text starting with a day name (IMF-fixdate, RFC 850, asctime) is taken as a date.
 */
export function retryAfterMillis(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  if (!/^[A-Za-z]{3}/.test(value)) return undefined;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}
