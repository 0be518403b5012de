// Turns one raw environment value into a typed value, or explains why it cannot.
// Never throws: a bad value yields { error } and the caller falls back to the default.

import type { Kind } from './settings';

export type Parsed = boolean | number | string | string[] | Record<string, string>;
/** `note`: the value was usable only after a correction (clamped, entries refused); it says which. */
export type ParseResult = { value: Parsed; note?: string } | { error: string };

export function parseValue(kind: Kind, raw: string): ParseResult {
  const text = raw.trim();
  switch (kind.type) {
    case 'boolean': {
      const lower = text.toLowerCase();
      if (lower === 'true') return { value: true };
      if (lower === 'false') return { value: false };
      return { error: 'is not true or false' };
    }
    case 'integer': {
      if (!/^\d+$/.test(text) || Number(text) < kind.min) return { error: `is not a whole number ≥ ${kind.min}` };
      // Digits only, so anything past the maximum (even beyond 2^53) is simply too large.
      if (Number(text) > kind.max) return { value: kind.max, note: `is above the maximum ${kind.max}; using ${kind.max}` };
      return { value: Number(text) };
    }
    case 'enum': {
      const lower = text.toLowerCase();
      if (kind.values.includes(lower)) return { value: lower };
      return { error: `is not one of ${kind.values.join(', ')}` };
    }
    case 'enumList': {
      const items = splitList(text.toLowerCase());
      const unknown = items.filter((i) => !kind.values.includes(i));
      if (items.length === 0) return { error: 'is empty' };
      if (unknown.length) return { error: `has unknown entries ${unknown.map((u) => JSON.stringify(u)).join(', ')} (known: ${kind.values.join(', ')})` };
      return { value: items };
    }
    case 'list': {
      const items = splitList(text);
      // Names never hold control characters; one that does would also break the warning naming it.
      if (items.some((i) => /[\u0000-\u001f\u007f\u2028\u2029]/.test(i))) return { error: 'has entries with control characters' };
      return { value: items };
    }
    case 'keyValue':
      return parseKeyValues(text);
    case 'headers': {
      const parsed = parseKeyValues(text);
      return 'error' in parsed ? parsed : refuseHeaders(parsed.value as Record<string, string>);
    }
    case 'url': {
      try {
        const url = new URL(text);
        if (url.protocol !== 'http:' && url.protocol !== 'https:') return { error: 'is not an http:// or https:// URL' };
        return { value: text };
      } catch {
        return { error: 'is not a URL' };
      }
    }
    case 'string':
    case 'path':
      return text === '' ? { error: 'is empty' } : { value: text };
  }
}

export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** W3C-baggage-like `k=v,k2=v2` with percent-encoded values, as OTEL_RESOURCE_ATTRIBUTES and *_HEADERS use. */
function parseKeyValues(text: string): ParseResult {
  const out: Record<string, string> = {};
  const bad: string[] = [];
  for (const pair of splitList(text)) {
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq).trim() : '';
    if (!key) {
      bad.push(pair);
      continue;
    }
    try {
      out[decodeURIComponent(key)] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      bad.push(pair);
    }
  }
  if (bad.length) return { error: `has malformed entries (expected key=value): ${bad.length}` };
  return { value: out };
}

/**
 * Headers Node's HTTP/2 refuses (it throws ERR_HTTP2_INVALID_CONNECTION_HEADERS, from a zlib callback
 * when compression is on) or that would corrupt the request framing on either transport.
 */
const FORBIDDEN_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'http2-settings', 'content-length']);
// RFC 9110 token for names; values without control characters (CR/LF would split the header).
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

function refuseHeaders(headers: Record<string, string>): ParseResult {
  const kept: Record<string, string> = {};
  const refused: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (FORBIDDEN_HEADERS.has(name.toLowerCase()) || !HEADER_NAME.test(name) || !HEADER_VALUE.test(value)) refused.push(name);
    else kept[name] = value;
  }
  if (refused.length === 0) return { value: kept };
  // A name that is not a token is shown up to where it stops being one: `x-api-key: <key>=` (the
  // colon form, a base64 key's `=` taken for the separator) must not print the key.
  const shown = (n: string) => (HEADER_NAME.test(n) ? JSON.stringify(n) : `${JSON.stringify(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]*/.exec(n)![0])}… (not a header name; entries are name=value)`);
  const names = refused.map(shown).join(', ');
  return { value: kept, note: `has headers that cannot be sent (connection-specific, or not a valid name or value): ${names}; they are left out, the others are sent` };
}
